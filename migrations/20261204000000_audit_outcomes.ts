import { sql, type Kysely } from 'kysely';

// Audit events as an access-control record (the fields of a FHIR AuditEvent / IHE ATNA record):
// refused and failed attempts too (outcome, and why), where the request came from, its request id,
// and what was asked (the query). An unauthenticated attempt has no client. The client index serves
// the access volumes per client and day and the patients a client read.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events
    alter column client_id drop not null,
    add column outcome text not null default 'success' check (outcome in ('success', 'refused', 'failed')),
    add column outcome_detail text,
    add column source_address text,
    add column request_id text,
    add column query jsonb`.execute(db);
  await sql`create index audit_events_client_idx on audit_events (client_id, occurred_at) include (patient_key, outcome)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_events_client_idx`.execute(db);
  await sql`alter table audit_events drop column outcome, drop column outcome_detail, drop column source_address, drop column request_id, drop column query`.execute(db);
  await sql`alter table audit_events alter column client_id set not null`.execute(db);
}

import { sql, type Kysely } from 'kysely';

// A CDS client (a hospital's EHR) signs its CDS Hooks JWTs with its own issuer URI as `iss`, most often
// its FHIR server's base URL, not a client id of ours. A client registered with a JWKS may name that
// issuer; no two clients share one.
const statements = [
  `alter table clients add column cds_issuer text`,
  `alter table clients add constraint clients_cds_issuer_key unique (cds_issuer)`,
  `alter table clients add constraint clients_cds_issuer_check check (cds_issuer is null or jwks is not null)`,
  `comment on column clients.cds_issuer is 'The iss of the CDS Hooks JWTs this client signs, when it is not the client id'`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table clients drop column cds_issuer`.execute(db);
}

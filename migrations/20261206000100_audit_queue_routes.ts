import { sql, type Kysely } from 'kysely';

// A routing key on the audit trail and on the report aggregates' queue, part of their keys, so that
// Citus can distribute them with the check log (docs/scaling.md): a check's or a decision's audit
// event and queue entry carry its check's id and are written on that check's shard, in its commit.
// Other audit events get a fresh id, which spreads them over the shards.
const statements = [
  `alter table audit_events add column route uuid`,
  `alter table audit_events disable trigger audit_events_append_only`,
  `update audit_events set route = coalesce(check_id, uuid_v7())`,
  `alter table audit_events enable trigger audit_events_append_only`,
  `alter table audit_events alter column route set not null, alter column route set default uuid_v7()`,
  `comment on column audit_events.route is 'Where the event is kept on a Citus cluster: its check''s id, or a fresh id for events of no check'`,
  `alter table audit_events drop constraint audit_events_pkey, add primary key (id, route)`,

  `alter table agg_pending add column route uuid`,
  `update agg_pending p set route = coalesce(p.check_id, (select d.check_id from recognition_decisions d where d.id = p.decision_id))`,
  `alter table agg_pending alter column route set not null`,
  `comment on column agg_pending.route is 'The id of the check queued, or of the check of the decision queued: where the entry is kept on a Citus cluster'`,
  `alter table agg_pending drop constraint agg_pending_pkey, add primary key (id, route)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  const back = [
    `alter table agg_pending drop constraint agg_pending_pkey, add primary key (id)`,
    `alter table agg_pending drop column route`,
    `alter table audit_events drop constraint audit_events_pkey, add primary key (id)`,
    `alter table audit_events drop column route`,
  ];
  for (const statement of back) await sql.raw(statement).execute(db);
}

import { sql, type Kysely } from 'kysely';

// A foreign key check locks the referenced row (SELECT … FOR KEY SHARE) for every inserted row. On the
// hot paths that meant: every check locked the current rule-set row and its receiver's row (one row
// shared by all concurrent checks: a multixact per lock), and each candidate's result row, which
// writes to a random page of the largest table; every ingested result locked its hospital and item.
// Those references now rest on a stronger rule instead: hospitals, items, rule sets and results are
// never deleted and never change their key (triggers below), and the service writes only ids it has
// just read or resolved. References inside the log (a decision to its candidate, a candidate to its
// check item, an item to its check) keep their foreign keys.
const dropped: [table: string, constraint: string, definition: string][] = [
  ['results', 'results_issuing_hospital_id_fkey', 'foreign key (issuing_hospital_id) references hospitals (id)'],
  ['results', 'results_item_code_fkey', 'foreign key (item_code) references items (code)'],
  ['recognition_checks', 'recognition_checks_receiving_hospital_id_fkey', 'foreign key (receiving_hospital_id) references hospitals (id)'],
  ['recognition_checks', 'recognition_checks_rule_set_version_fkey', 'foreign key (rule_set_version) references rule_sets (version)'],
  ['check_items', 'check_items_item_code_fkey', 'foreign key (item_code) references items (code)'],
  ['check_candidates', 'check_candidates_result_id_fkey', 'foreign key (result_id) references results (id)'],
  ['recognition_decisions', 'recognition_decisions_receiving_hospital_id_fkey', 'foreign key (receiving_hospital_id) references hospitals (id)'],
  ['recognition_decisions', 'recognition_decisions_issuing_hospital_id_fkey', 'foreign key (issuing_hospital_id) references hospitals (id)'],
  ['recognition_decisions', 'recognition_decisions_rule_set_version_fkey', 'foreign key (rule_set_version) references rule_sets (version)'],
];
const permanent: [table: string, key: string][] = [['hospitals', 'id'], ['items', 'code'], ['rule_sets', 'version'], ['results', 'id']];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function forbid_removal() returns trigger language plpgsql as $$
    begin
      raise exception 'rows of % are never deleted and keep their key', tg_table_name using errcode = 'P0001';
    end $$`.execute(db);
  for (const [table, key] of permanent) {
    await sql.raw(`create trigger ${table}_no_delete before delete on ${table} for each row execute function forbid_removal()`).execute(db);
    await sql.raw(`create trigger ${table}_keep_key before update of ${key} on ${table}
      for each row when (old.${key} is distinct from new.${key}) execute function forbid_removal()`).execute(db);
  }
  for (const [table, constraint] of dropped) await sql.raw(`alter table ${table} drop constraint ${constraint}`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, constraint, definition] of dropped) await sql.raw(`alter table ${table} add constraint ${constraint} ${definition}`).execute(db);
  for (const [table] of permanent) {
    for (const trigger of ['no_delete', 'keep_key']) await sql.raw(`drop trigger if exists ${table}_${trigger} on ${table}`).execute(db);
  }
  await sql`drop function if exists forbid_removal()`.execute(db);
}

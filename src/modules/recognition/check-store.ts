import { sql } from 'kysely';
import type { Database, Prepared } from '../../db/database.ts';
import type { CatalogueItem, CertificationEvent, HospitalFacts, RuleSet, ScopeFacts } from '../rules/types.ts';
import type { RegistrySnapshots } from './registry-snapshot.ts';
import { resultFacts, type CandidateRow, type StoredCandidate } from './repository.ts';

/**
 * The hot path of a recognition check in two statements: one read of the patient's results (with
 * the registry's version), one write of the check, its candidates, the audit event and its place in
 * the aggregates' queue. The registry comes from the instance's snapshot (registry-snapshot.ts).
 */

interface CandidatesRow {
  registry_version: number;
  results: JsonResult[];
}

interface JsonResult {
  id: string; accession_no: string; issuing_hospital_id: string; item_code: string; kind: string; status: string; performed_at: string;
  reported_at: string | null; images_available: boolean | null; study_uid: string | null; critical_open: boolean;
  equipment: Record<string, unknown> | null; analyte_codes: string[];
}

export interface CheckFacts {
  receiver: HospitalFacts | null;
  ruleSet: RuleSet;
  /** Requested code → catalogue item (a catalogue code wins over a local code of the same name). */
  requested: Map<string, CatalogueItem>;
  candidates: CandidateRow[];
  scopes: ScopeFacts[];
  certifications: Map<string, CertificationEvent[]>;
}

/** The patient's results within the look-back, newest first, and the registry version they go with. */
function candidatesQuery(db: Database, patientKey: string, now: Date, lookbackDays: number) {
  return sql<CandidatesRow>`
    select (select version from registry_version) as registry_version,
      (select coalesce(json_agg(f order by f.performed_at desc, f.id), '[]') from (
        select r.id, r.accession_no, r.issuing_hospital_id, r.item_code, r.kind, r.status, r.performed_at, r.reported_at,
               r.images_available, r.study_uid, r.critical_open, r.equipment, r.analyte_codes
        from results r
        where r.patient_key = ${patientKey} and r.performed_at >= ${now}::timestamptz - ${lookbackDays}::integer * interval '1 day'
      ) f) as results
  `.compile(db);
}

export async function loadCheckFacts(
  db: Database,
  prepared: Prepared,
  snapshots: RegistrySnapshots,
  receiverId: string,
  codes: readonly string[],
  patientKey: string,
  now: Date,
): Promise<CheckFacts> {
  let registry = await snapshots.current();
  let [found] = await prepared('recognition_check_candidates', candidatesQuery(db, patientKey, now, registry.ruleSet.lookbackDays));
  // The registry changed after the one held was read: judge with one at least as new as the results
  // (versions only grow), and read the results again if the look-back changed with it.
  while (found.registry_version > registry.version) {
    const lookback = registry.ruleSet.lookbackDays;
    registry = await snapshots.newerThan(registry.version);
    if (registry.ruleSet.lookbackDays !== lookback) {
      [found] = await prepared('recognition_check_candidates', candidatesQuery(db, patientKey, now, registry.ruleSet.lookbackDays));
    }
  }
  const requested = new Map<string, CatalogueItem>();
  for (const code of codes) {
    // A catalogue code wins over a local code of the same name.
    const item = registry.items.get(code) ?? registry.items.get(registry.codeMaps.get(`${receiverId}\u0000${code}`) ?? '');
    if (item) requested.set(code, item);
  }
  const candidates = found.results.flatMap((r) => {
    const issuer = registry.hospitals.get(r.issuing_hospital_id);
    const item = registry.items.get(r.item_code);
    return issuer && item ? [{ result: resultFacts(r), issuer, resultItem: item }] : [];
  });
  const certifications = new Map(candidates.map((c) => [c.issuer.id, registry.certifications.get(c.issuer.id) ?? []]));
  return {
    receiver: registry.hospitals.get(receiverId) ?? null,
    ruleSet: registry.ruleSet,
    requested,
    candidates,
    scopes: registry.scopes,
    certifications,
  };
}

export interface NewCheck {
  receiverId: string;
  clientId: string;
  practitionerId: string;
  patientKey: string;
  purpose: string;
  context: Record<string, boolean>;
  ruleSetVersion: number;
  now: Date;
}

/**
 * Stores the check with its items and candidates, the audit event of the read, and its place in the
 * report aggregates' queue in one statement (data-modifying CTEs: atomic without a transaction).
 */
export async function recordCheck(
  db: Database,
  prepared: Prepared,
  check: NewCheck,
  items: { itemCode: string; hasRecognizable: boolean }[],
  candidates: StoredCandidate[],
): Promise<string> {
  const json = (value: unknown) => JSON.stringify(value);
  const query = sql<{ id: string }>`
    with chk as (
      insert into recognition_checks (receiving_hospital_id, client_id, practitioner_id, patient_key, purpose, context, rule_set_version, created_at)
      values (${check.receiverId}, ${check.clientId}, ${check.practitionerId}, ${check.patientKey}, ${check.purpose}, ${json(check.context)}::jsonb,
              ${check.ruleSetVersion}, ${check.now})
      returning id
    ), check_item_rows as (
      insert into check_items (check_id, item_code, position, has_recognizable)
      select chk.id, x.item_code, x.position, x.has_recognizable
      from chk, jsonb_to_recordset(${json(items.map((i, position) => ({ item_code: i.itemCode, position, has_recognizable: i.hasRecognizable })))}::jsonb)
        as x(item_code text, position integer, has_recognizable boolean)
    ), candidate_rows as (
      insert into check_candidates (check_id, item_code, result_id, issuing_hospital_id, outcome, retest_permitted, reasons, advisories, yuan, minutes, radiation_msv)
      select chk.id, x.item_code, x.result_id, x.issuing_hospital_id, x.outcome, x.retest_permitted,
             array(select jsonb_array_elements_text(x.reasons)), array(select jsonb_array_elements_text(x.advisories)), x.yuan, x.minutes, x.radiation_msv
      from chk, jsonb_to_recordset(${json(candidates.map((c) => ({
        item_code: c.itemCode, result_id: c.resultId, issuing_hospital_id: c.issuingHospitalId, outcome: c.outcome, retest_permitted: c.retestPermitted,
        reasons: c.reasons, advisories: c.advisories, yuan: c.yuan, minutes: c.minutes, radiation_msv: c.radiationMsv,
      })))}::jsonb)
        as x(item_code text, result_id uuid, issuing_hospital_id text, outcome text, retest_permitted boolean, reasons jsonb, advisories jsonb,
             yuan numeric, minutes integer, radiation_msv numeric)
    ), audit as (
      insert into audit_events (occurred_at, action, client_id, hospital_id, practitioner_id, purpose, patient_key, check_id, result_ids)
      select ${check.now}, 'recognition.check', ${check.clientId}, ${check.receiverId}, ${check.practitionerId}, ${check.purpose}, ${check.patientKey},
             chk.id, ${[...new Set(candidates.map((c) => c.resultId))]}::uuid[]
      from chk
    ), queued as (
      insert into agg_pending (check_id) select id from chk
    )
    select id from chk
  `.compile(db);
  const [row] = await prepared('recognition_check_record', query);
  return row.id;
}

import { sql } from 'kysely';
import type { Database, Prepared } from '../../db/database.ts';
import { catalogueItem, hospitalFacts, scopeFacts } from '../registry/mappers.ts';
import type { ItemRow } from '../registry/repository.ts';
import type { TierPolicy } from '../rules/codes.ts';
import type { CertificationEvent, HospitalFacts, RuleSet, ScopeFacts } from '../rules/types.ts';
import { resultFacts, type CandidateRow, type StoredCandidate } from './repository.ts';

/**
 * The hot path of a recognition check in two statements: one read of every fact the engine needs,
 * one write of the check, its candidates, the audit event and the report counts. Each is a single
 * round trip whatever the number of items and candidates (JSON aggregates in, JSON records out).
 */

interface FactsRow {
  receiver: { id: string; name: string; tier: string; province: string; city: string; price_tier: string | null } | null;
  rule_set: { version: number; tier_direction: string; lookback_days: number };
  requested: (JsonItem & { requested: string })[];
  results: JsonResult[];
  issuers: { id: string; name: string; tier: string; province: string; city: string; price_tier: string | null }[];
  result_items: JsonItem[];
  scopes: { id: string; level: string; name: string; region: string | null; province: string | null; members: string[] | null; items: string[] | null }[];
  certifications: { hospital_id: string; scope_id: string; item_code: string | null; category: string | null; status: string; effective_from: string; recorded_at: string }[];
}

type JsonItem = Omit<ItemRow, 'updated_at'> & { updated_at: string };

interface JsonResult {
  id: string; accession_no: string; issuing_hospital_id: string; item_code: string; kind: string; status: string; performed_at: string;
  reported_at: string | null; images_available: boolean | null; study_uid: string | null; critical_open: boolean;
  equipment: Record<string, unknown> | null; analyte_codes: string[];
}

export interface CheckFacts {
  receiver: HospitalFacts | null;
  ruleSet: RuleSet;
  /** Requested code → catalogue item (a catalogue code wins over a local code of the same name). */
  requested: Map<string, ItemRow>;
  candidates: CandidateRow[];
  scopes: ScopeFacts[];
  certifications: Map<string, CertificationEvent[]>;
}

const itemRow = (item: JsonItem): ItemRow => ({ ...item, updated_at: new Date(item.updated_at) });

export async function loadCheckFacts(
  db: Database,
  prepared: Prepared,
  receiverId: string,
  codes: readonly string[],
  patientKey: string,
  now: Date,
): Promise<CheckFacts> {
  const query = sql<FactsRow>`
    with rules as (
      select version, tier_direction, lookback_days from rule_sets order by version desc limit 1
    ), wanted as (
      select i.*, i.code as requested from items i where i.code = any(${codes}::text[])
      union all
      select i.*, m.local_code from code_maps m join items i on i.code = m.item_code
      where m.hospital_id = ${receiverId} and m.local_code = any(${codes}::text[])
    ), found as (
      select r.id, r.accession_no, r.issuing_hospital_id, r.item_code, r.kind, r.status, r.performed_at, r.reported_at,
             r.images_available, r.study_uid, r.critical_open, r.equipment, r.analyte_codes
      from results r, rules
      where r.patient_key = ${patientKey} and r.performed_at >= ${now}::timestamptz - rules.lookback_days * interval '1 day'
    )
    select
      (select row_to_json(h) from (select id, name, tier, province, city, price_tier from hospitals where id = ${receiverId}) h) as receiver,
      (select row_to_json(rules) from rules) as rule_set,
      (select coalesce(json_agg(w), '[]') from wanted w) as requested,
      (select coalesce(json_agg(f order by f.performed_at desc, f.id), '[]') from found f) as results,
      (select coalesce(json_agg(h), '[]') from (select id, name, tier, province, city, price_tier from hospitals
         where id in (select issuing_hospital_id from found)) h) as issuers,
      (select coalesce(json_agg(i), '[]') from (select * from items where code in (select item_code from found)) i) as result_items,
      (select coalesce(json_agg(s), '[]') from (select id, level, name, region, province, members, items from scopes) s) as scopes,
      (select coalesce(json_agg(e), '[]') from (select hospital_id, scope_id, item_code, category, status, effective_from, recorded_at
         from certification_events where hospital_id in (select issuing_hospital_id from found)) e) as certifications
  `.compile(db);
  const [facts] = await prepared('recognition_check_facts', query);
  const requested = new Map<string, ItemRow>();
  for (const { requested: code, ...item } of facts.requested.filter((r) => r.requested !== r.code)) requested.set(code, itemRow(item));
  for (const { requested: code, ...item } of facts.requested.filter((r) => r.requested === r.code)) requested.set(code, itemRow(item));
  const issuers = new Map(facts.issuers.map((h) => [h.id, hospitalFacts(h)]));
  const items = new Map(facts.result_items.map((i) => [i.code, catalogueItem(itemRow(i))]));
  const certifications = new Map<string, CertificationEvent[]>([...issuers.keys()].map((id) => [id, []]));
  for (const e of facts.certifications) {
    certifications.get(e.hospital_id)?.push({
      scopeId: e.scope_id,
      itemCode: e.item_code,
      category: e.category as CertificationEvent['category'],
      status: e.status as CertificationEvent['status'],
      effectiveFrom: new Date(e.effective_from),
      recordedAt: new Date(e.recorded_at),
    });
  }
  return {
    receiver: facts.receiver ? hospitalFacts(facts.receiver) : null,
    ruleSet: { version: facts.rule_set.version, tierDirection: facts.rule_set.tier_direction as TierPolicy, lookbackDays: facts.rule_set.lookback_days },
    requested,
    candidates: facts.results.map((r) => ({ result: resultFacts(r), issuer: issuers.get(r.issuing_hospital_id)!, resultItem: items.get(r.item_code)! })),
    scopes: facts.scopes.map((s) => scopeFacts({ ...s, updated_at: new Date(0) })),
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

import { sql } from 'kysely';
import { uuidV7 } from '../../db/ids.ts';
import { batching } from '../../db/batch.ts';
import type { Database, Prepared } from '../../db/database.ts';
import type { CatalogueItem, CertificationEvent, HospitalFacts, RuleSet, ScopeFacts } from '../rules/index.ts';
import { auditChecksFrom, auditCheckValues, type RequestOrigin } from '../audit/index.ts';
import { rememberAnswersFrom, rememberAnswerValues, type IdempotentRequest } from '../idempotency/index.ts';
import { registryVersionQuery, type RegistrySnapshots } from '../registry/index.ts';
import { enqueueCheckValues, enqueueChecksFrom } from '../reports/index.ts';
import { candidateResultsOf, candidateResultsQuery, patientCandidatesQuery, type CandidateLookup } from '../results/index.ts';
import type { CandidateRow, StoredCandidate } from './candidates.ts';

/**
 * The hot path of a recognition check in two statements, each shared with the checks running at the
 * same moment: one read of the patient's results with the registry's version (the results module's
 * query), one write of the check, its items and candidates, together with the rows the audit,
 * reports and idempotency modules add for it (their statements, over this one's `chk` rows). The
 * registry comes from the instance's snapshot (the registry module's). On Citus each check reads and
 * writes by statements of its own, routed to its shards, and reads the registry's version apart.
 */

export interface CheckFacts {
  receiver: HospitalFacts | null;
  ruleSet: RuleSet;
  /** Requested code → catalogue item (a catalogue code wins over a local code of the same name). */
  requested: Map<string, CatalogueItem>;
  candidates: CandidateRow[];
  scopes: ScopeFacts[];
  certifications: Map<string, CertificationEvent[]>;
}

export interface CheckStore {
  /** The registry and the patient's results a check is judged on. */
  loadFacts(receiverId: string, codes: readonly string[], patientKey: string, now: Date): Promise<CheckFacts>;
  /** Stores a check; answers its id once it is committed. */
  record(check: NewCheck): Promise<string>;
}

/**
 * A check's read and its write, each batched with those of the checks running at the same moment
 * (src/db/batch.ts): under load, one statement serves several checks.
 */
export function createCheckStore(
  db: Database,
  prepared: Prepared,
  snapshots: RegistrySnapshots,
  options: {
    /** Told how many checks each shared statement served, once it succeeded (a failed batch is run again check by check). */
    shared?: (statement: 'read' | 'write', checks: number) => void;
    /** Whether each check reads and writes by statements of its own that name its keys (on Citus: see patientCandidatesQuery and recordQuery). */
    routed?: () => Promise<boolean>;
  } = {},
): CheckStore {
  const { shared = () => {}, routed = async () => false } = options;
  const lookupShared = batching(async (lookups: CandidateLookup[]) => {
    const [found] = await prepared('recognition_check_candidates', candidateResultsQuery(db, lookups));
    shared('read', lookups.length);
    return candidateResultsOf(lookups, found);
  });
  // Asked after a routed read has its rows, so each batch's statement starts after that read's snapshot.
  const registryVersionNow = batching(async (asks: null[]) => {
    const { version } = await registryVersionQuery(db).executeTakeFirstOrThrow();
    return asks.map(() => version);
  });
  async function lookup(patient: CandidateLookup) {
    if (!(await routed())) return lookupShared(patient);
    const [found] = await prepared('recognition_check_candidates_routed', patientCandidatesQuery(db, patient));
    shared('read', 1);
    // Read after the results, the version is at least as new as the registry they were read with.
    return candidateResultsOf([patient], { registry_version: await registryVersionNow(null), results: found.results })[0];
  }
  const recordShared = batching(async (checks: NewCheck[]) => {
    const rows = await prepared('recognition_check_record', recordQuery(db, checks, 'shared'));
    shared('write', checks.length);
    return rows.map((row) => row.id);
  });
  async function record(check: NewCheck): Promise<string> {
    if (!(await routed())) return recordShared(check);
    const { rows } = await db.executeQuery(recordQuery(db, [check], 'routed'));
    shared('write', 1);
    return rows[0].id;
  }

  return {
    async loadFacts(receiverId, codes, patientKey, now) {
      let registry = await snapshots.current();
      let found = await lookup({ patientKey, now, lookbackDays: registry.ruleSet.lookbackDays });
      // The registry changed after the one held was read: judge with one at least as new as the results
      // (versions only grow), and read the results again if the look-back changed with it.
      while (found.registry_version > registry.version) {
        const lookback = registry.ruleSet.lookbackDays;
        registry = await snapshots.newerThan(registry.version);
        if (registry.ruleSet.lookbackDays !== lookback)
          found = await lookup({ patientKey, now, lookbackDays: registry.ruleSet.lookbackDays });
      }
      const requested = new Map<string, CatalogueItem>();
      for (const code of codes) {
        // A catalogue code wins over a local code of the same name.
        const item = registry.items.get(code) ?? registry.items.get(registry.codeMaps.get(`${receiverId}\u0000${code}`) ?? '');
        if (item) requested.set(code, item);
      }
      const candidates = found.results.flatMap((result) => {
        const issuer = registry.hospitals.get(result.issuingHospitalId);
        const item = registry.items.get(result.itemCode);
        return issuer && item ? [{ result, issuer, resultItem: item }] : [];
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
    },
    record,
  };
}

export interface NewCheck {
  /** Where the request came from, and what it asked, for the audit event of its read. */
  origin: RequestOrigin;
  query: Record<string, unknown>;
  /** An Idempotency-Key request: its answer (all but the check id, which the statement adds) is stored with the check. */
  idempotency?: IdempotentRequest & { response: Record<string, unknown> };
  receiverId: string;
  clientId: string;
  practitionerId: string;
  patientKey: string;
  purpose: string;
  context: Record<string, boolean>;
  ruleSetVersion: number;
  now: Date;
  items: { itemCode: string; hasRecognizable: boolean }[];
  candidates: StoredCandidate[];
}

/**
 * Stores checks with their items and candidates, the audit event of each read, and their places in
 * the report aggregates' queue in one statement (data-modifying CTEs: atomic without a transaction).
 * Answers the checks' new ids (made here) in the order given. `shared`: any number of checks, their
 * rows selected from JSON. `routed`: one check, each row of the check log written as `values` naming
 * the check's id, which Citus sends to that check's shard alone and commits there in one phase; rows
 * selected from JSON it would send to every worker and commit in two (docs/scaling.md).
 */
function recordQuery(db: Database, checks: readonly NewCheck[], form: 'shared' | 'routed') {
  const json = (rows: unknown[]) => JSON.stringify(rows);
  const heads = checks.map((c, n) => ({
    n,
    id: uuidV7(),
    receiving_hospital_id: c.receiverId,
    client_id: c.clientId,
    practitioner_id: c.practitionerId,
    patient_key: c.patientKey,
    purpose: c.purpose,
    context: c.context,
    rule_set_version: c.ruleSetVersion,
    created_at: c.now,
    result_ids: [...new Set(c.candidates.map((x) => x.resultId))],
    source_address: c.origin.sourceAddress,
    request_id: c.origin.requestId,
    query: c.query,
  }));
  const items = checks.flatMap((c, n) =>
    c.items.map((i, position) => ({ n, item_code: i.itemCode, position, has_recognizable: i.hasRecognizable })),
  );
  const answers = checks.flatMap((c, n) => (c.idempotency ? [{ n, ...c.idempotency, statusCode: 201 }] : []));
  const candidates = checks.flatMap((c, n) =>
    c.candidates.map((x) => ({
      n,
      item_code: x.itemCode,
      result_id: x.resultId,
      issuing_hospital_id: x.issuingHospitalId,
      outcome: x.outcome,
      retest_permitted: x.retestPermitted,
      reasons: x.reasons,
      advisories: x.advisories,
      yuan: x.yuan,
      minutes: x.minutes,
      radiation_msv: x.radiationMsv,
    })),
  );
  const logRows =
    form === 'shared'
      ? sql`
    check_rows as (
      insert into recognition_checks (id, ${checkColumns}) select id, ${checkColumns} from chk
    ), check_item_rows as (
      insert into check_items (check_id, item_code, position, has_recognizable)
      select chk.id, x.item_code, x.position, x.has_recognizable
      from jsonb_to_recordset(${json(items)}::jsonb) as x(n integer, item_code text, position integer, has_recognizable boolean) join chk using (n)
    ), candidate_rows as (
      insert into check_candidates (check_id, ${candidateColumns})
      select chk.id, x.item_code, x.result_id, x.issuing_hospital_id, x.outcome, x.retest_permitted, x.reasons, x.advisories, x.yuan, x.minutes, x.radiation_msv
      from jsonb_to_recordset(${json(candidates)}::jsonb) as x(n integer, item_code text, result_id uuid, issuing_hospital_id text, outcome text,
        retest_permitted boolean, reasons text[], advisories text[], yuan numeric, minutes integer, radiation_msv numeric) join chk using (n)
    )`
      : routedLogRows(heads[0], items, candidates);
  return sql<{ id: string }>`
    with chk as materialized (
      select x.*
      from jsonb_to_recordset(${json(heads)}::jsonb) as x(n integer, id uuid, receiving_hospital_id text, client_id text, practitioner_id text, patient_key text,
        purpose text, context jsonb, rule_set_version integer, created_at timestamptz, result_ids uuid[], source_address text, request_id text, query jsonb)
    ), ${logRows}, audit as (${form === 'shared' ? auditChecksFrom('chk') : auditCheckValues(heads[0])}
    ), queued as (${form === 'shared' ? enqueueChecksFrom('chk') : enqueueCheckValues(heads[0].id)}
    )${answersPart(form, heads[0], answers)}
    select id from chk order by n
  `.compile(db);
}

/** The Idempotency-Key answers: selected from `chk` when shared; when routed, as values, and none without a key. */
function answersPart(form: 'shared' | 'routed', head: Head, answers: Parameters<typeof rememberAnswersFrom>[1]) {
  if (form === 'shared') return sql`, answered as (${rememberAnswersFrom('chk', answers)})`;
  return answers.length === 0 ? sql`` : sql`, answered as (${rememberAnswerValues(answers[0], head.id, head.created_at)})`;
}

const checkColumns = sql`receiving_hospital_id, client_id, practitioner_id, patient_key, purpose, context, rule_set_version, created_at`;
const candidateColumns = sql`item_code, result_id, issuing_hospital_id, outcome, retest_permitted, reasons, advisories, yuan, minutes, radiation_msv`;

type Head = { id: string; context: Record<string, boolean>; created_at: Date } & Record<string, unknown>;

/** One check's rows of the check log, as `insert … values` naming its id (recordQuery's routed form). */
function routedLogRows(
  head: Head,
  items: readonly { item_code: string; position: number; has_recognizable: boolean }[],
  candidates: readonly Record<string, unknown>[],
) {
  const id = sql`${head.id}::uuid`;
  const check = sql`insert into recognition_checks (id, ${checkColumns}) values (${id}, ${head.receiving_hospital_id}, ${head.client_id},
    ${head.practitioner_id}, ${head.patient_key}, ${head.purpose}, ${JSON.stringify(head.context)}::jsonb, ${head.rule_set_version}, ${head.created_at})`;
  const itemRows = items.map((i) => sql`(${id}, ${i.item_code}, ${i.position}, ${i.has_recognizable})`);
  const candidateRows = candidates.map(
    (c) =>
      sql`(${id}, ${c.item_code}, ${c.result_id}::uuid, ${c.issuing_hospital_id}, ${c.outcome}, ${c.retest_permitted}, ${c.reasons}::text[], ${c.advisories}::text[],
        ${c.yuan}::numeric, ${c.minutes}, ${c.radiation_msv}::numeric)`,
  );
  return sql`
    check_rows as (${check}
    ), check_item_rows as (
      insert into check_items (check_id, item_code, position, has_recognizable) values ${sql.join(itemRows)}
    )${
      candidateRows.length === 0
        ? sql``
        : sql`, candidate_rows as (
      insert into check_candidates (check_id, ${candidateColumns}) values ${sql.join(candidateRows)}
    )`
    }`;
}

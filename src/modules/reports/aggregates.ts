import { sql, type Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { shanghaiDate } from '../rules/explain.ts';
import { countPatientDays, randomShard, receiverSide, rollupRows, upsertRollup, type RollupEvent } from './rollup.ts';

/**
 * Incremental report aggregates, written in the caller's transaction together with the check or
 * decision they count. Rows are pre-summed per key (one upsert may not touch a row twice) and
 * written in key order, so concurrent transactions lock aggregate rows in the same order.
 */

/** The Asia/Shanghai calendar day of an instant (the engine's own definition). */
export function shanghaiDay(at: Date): string {
  return shanghaiDate(at)!;
}

/** The same day in SQL, for set-based rebuilds. */
export const shanghaiDaySql = (column: string) => sql.raw(`((${column} at time zone 'UTC') + interval '8 hours')::date`);

/** A 64-bit digest of a patient key for distinct counts (its first 16 hex digits, as SQL does). */
export function patientHash(patientKey: string): string {
  return BigInt.asIntN(64, BigInt(`0x${patientKey.slice(0, 16)}`)).toString();
}
export const patientHashSql = (column: string) => sql.raw(`('x' || substr(${column}, 1, 16))::bit(64)::bigint`);

function sumBy<T>(rows: T[], key: (row: T) => string, add: (into: T, row: T) => void): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const existing = byKey.get(k);
    if (existing) add(existing, row);
    else byKey.set(k, { ...row });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** The report counts of one check, pre-summed per aggregate key (written by the check's own statement). */
export function checkAggregateRows(
  check: { day: string; receiverId: string },
  items: { itemCode: string; hasRecognizable: boolean }[],
  candidates: { itemCode: string; issuingHospitalId: string; outcome: string }[],
) {
  const itemRows = sumBy(
    items.map((i) => ({ local_day: check.day, receiving_hospital_id: check.receiverId, item_code: i.itemCode, check_items: 1, with_recognizable: i.hasRecognizable ? 1 : 0 })),
    (r) => r.item_code,
    (into, r) => ((into.check_items += r.check_items), (into.with_recognizable += r.with_recognizable)),
  );
  // One count per (check item, issuer), however many of the issuer's results were candidates.
  const perIssuer = new Map<string, { item_code: string; issuing_hospital_id: string; recognizable: boolean }>();
  for (const c of candidates) {
    const key = `${c.itemCode}\u0000${c.issuingHospitalId}`;
    const entry = perIssuer.get(key) ?? { item_code: c.itemCode, issuing_hospital_id: c.issuingHospitalId, recognizable: false };
    entry.recognizable ||= c.outcome === 'RECOGNIZABLE';
    perIssuer.set(key, entry);
  }
  const issuerRows = [...perIssuer.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, e]) => ({
      local_day: check.day,
      issuing_hospital_id: e.issuing_hospital_id,
      receiving_hospital_id: check.receiverId,
      item_code: e.item_code,
      check_items: 1,
      with_recognizable: e.recognizable ? 1 : 0,
    }));
  return { itemRows, issuerRows };
}

export interface CountedDecision {
  checkDay: string;
  decisionDay: string;
  receiverId: string;
  receiverCity: string;
  issuerId: string;
  itemCode: string;
  category: string;
  practitionerId: string;
  patientKey: string;
  action: 'recognized' | 'declined';
  reasonCode: string | null;
  flagged: boolean;
  yuan: number;
  minutes: number;
  radiationMsv: number;
}

export async function countDecisions(trx: Transaction<DB>, decisions: CountedDecision[]): Promise<void> {
  if (decisions.length === 0) return;
  const shard = randomShard();
  await upsertRollup(rollupRows(decisions.flatMap(rollupEvents), shard)).execute(trx);
  const mutual = decisions.filter((d) => d.action === 'recognized' && d.receiverId !== d.issuerId);
  if (mutual.length > 0) {
    const flows = sumBy(
      mutual.map((d) => ({ month: `${d.decisionDay.slice(0, 7)}-01`, issuing_hospital_id: d.issuerId, receiving_hospital_id: d.receiverId, recognitions: 1, yuan: d.yuan })),
      (r) => [r.month, r.issuing_hospital_id, r.receiving_hospital_id].join('\u0000'),
      (into, r) => ((into.recognitions += r.recognitions), (into.yuan += r.yuan)),
    );
    await sql`
      insert into agg_flow_months (month, issuing_hospital_id, receiving_hospital_id, recognitions, yuan)
      select x.month, x.issuing_hospital_id, x.receiving_hospital_id, x.recognitions, x.yuan
      from jsonb_to_recordset(${JSON.stringify(flows)}::jsonb) as x(month date, issuing_hospital_id text, receiving_hospital_id text, recognitions integer, yuan numeric)
      on conflict (month, issuing_hospital_id, receiving_hospital_id) do update set
        recognitions = agg_flow_months.recognitions + excluded.recognitions, yuan = agg_flow_months.yuan + excluded.yuan`.execute(trx);
    await countPatientDays(
      mutual.map((d) => ({ day: d.decisionDay, along: [...receiverSide(d), ['issuer', d.issuerId]], patientHash: patientHash(d.patientKey) })),
      shard,
    ).execute(trx);
  }
  const decisionRows = sumBy(
    decisions.map((d) => ({
      local_day: d.decisionDay,
      receiving_hospital_id: d.receiverId,
      issuing_hospital_id: d.issuerId,
      item_code: d.itemCode,
      same_hospital: d.receiverId === d.issuerId,
      recognitions: d.action === 'recognized' ? 1 : 0,
      declines: d.action === 'declined' ? 1 : 0,
      flagged_declines: d.flagged ? 1 : 0,
      yuan: d.yuan,
      minutes: d.minutes,
      radiation_msv: d.radiationMsv,
    })),
    (r) => [r.local_day, r.receiving_hospital_id, r.issuing_hospital_id, r.item_code, r.same_hospital].join('\u0000'),
    (into, r) => {
      into.recognitions += r.recognitions;
      into.declines += r.declines;
      into.flagged_declines += r.flagged_declines;
      into.yuan += r.yuan;
      into.minutes += r.minutes;
      into.radiation_msv += r.radiation_msv;
    },
  );
  await trx
    .insertInto('agg_decisions')
    .values(decisionRows)
    .onConflict((oc) =>
      oc.columns(['local_day', 'receiving_hospital_id', 'issuing_hospital_id', 'item_code', 'same_hospital']).doUpdateSet({
        recognitions: sql`agg_decisions.recognitions + excluded.recognitions`,
        declines: sql`agg_decisions.declines + excluded.declines`,
        flagged_declines: sql`agg_decisions.flagged_declines + excluded.flagged_declines`,
        yuan: sql`agg_decisions.yuan + excluded.yuan`,
        minutes: sql`agg_decisions.minutes + excluded.minutes`,
        radiation_msv: sql`agg_decisions.radiation_msv + excluded.radiation_msv`,
      }),
    )
    .execute();

  const declines = sumBy(
    decisions
      .filter((d) => d.action === 'declined')
      .map((d) => ({ local_day: d.decisionDay, receiving_hospital_id: d.receiverId, practitioner_id: d.practitionerId, reason_code: d.reasonCode!, declines: 1, flagged: d.flagged ? 1 : 0 })),
    (r) => [r.local_day, r.receiving_hospital_id, r.practitioner_id, r.reason_code].join('\u0000'),
    (into, r) => ((into.declines += r.declines), (into.flagged += r.flagged)),
  );
  if (declines.length > 0) {
    await trx
      .insertInto('agg_declines')
      .values(declines)
      .onConflict((oc) =>
        oc.columns(['local_day', 'receiving_hospital_id', 'practitioner_id', 'reason_code']).doUpdateSet({
          declines: sql`agg_declines.declines + excluded.declines`,
          flagged: sql`agg_declines.flagged + excluded.flagged`,
        }),
      )
      .execute();
  }

  const recognised = decisions.filter((d) => d.action === 'recognized');
  if (recognised.length === 0) return;
  // The recognition-rate numerator counts on the check's day, like its denominator.
  const rateRows = sumBy(
    recognised.map((d) => ({ local_day: d.checkDay, receiving_hospital_id: d.receiverId, item_code: d.itemCode, recognized: 1 })),
    (r) => [r.local_day, r.item_code].join('\u0000'),
    (into, r) => (into.recognized += r.recognized),
  );
  // One statement for all of them (rows in key order, like every aggregate write).
  await sql`
    update agg_check_items a set recognized = a.recognized + x.recognized
    from jsonb_to_recordset(${JSON.stringify(rateRows)}::jsonb) as x(local_day date, receiving_hospital_id text, item_code text, recognized integer)
    where a.local_day = x.local_day and a.receiving_hospital_id = x.receiving_hospital_id and a.item_code = x.item_code`.execute(trx);
  const patientRows = sumBy(
    recognised.map((d) => ({
      local_day: d.decisionDay,
      receiving_hospital_id: d.receiverId,
      issuing_hospital_id: d.issuerId,
      item_code: d.itemCode,
      same_hospital: d.receiverId === d.issuerId,
      patient_hash: patientHash(d.patientKey),
    })),
    (r) => Object.values(r).join('\u0000'),
    () => undefined,
  );
  await trx
    .insertInto('agg_recognized_patients')
    .values(patientRows)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A decision in the roll-up: the rate's numerator on the check's day, the rest on the decision's. */
function rollupEvents(d: CountedDecision): RollupEvent[] {
  const along: RollupEvent['along'] = [...receiverSide(d), ['issuer', d.issuerId]];
  const at = (day: string, figures: RollupEvent['figures']) => ({ day, along, figures });
  if (d.action === 'declined') return [at(d.decisionDay, { declines: 1, flagged_declines: d.flagged ? 1 : 0 })];
  const own = d.receiverId === d.issuerId;
  return [
    at(d.checkDay, { recognized: 1 }),
    at(
      d.decisionDay,
      own
        ? { own_recognitions: 1, own_yuan: d.yuan, own_minutes: d.minutes, own_radiation_msv: d.radiationMsv }
        : { recognitions: 1, yuan: d.yuan, minutes: d.minutes, radiation_msv: d.radiationMsv },
    ),
  ];
}

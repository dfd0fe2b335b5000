import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { DAY_MS } from '../rules/engine.ts';
import type { SavingsGrouping } from './schemas.ts';

/** Report queries. They read the agg_* tables only, never the log. */

export interface ReportFilter {
  from: string;
  to: string;
  hospitalId?: string;
  city?: string;
  category?: string;
}

/** Group key and label expressions over aliases a (aggregate), rh (receiver), ih (issuer), i (item). */
const groupings: Record<SavingsGrouping | 'total', { key: string; label: string }> = {
  total: { key: `'total'`, label: `'total'` },
  day: { key: `to_char(a.local_day, 'YYYY-MM-DD')`, label: `to_char(a.local_day, 'YYYY-MM-DD')` },
  month: { key: `to_char(a.local_day, 'YYYY-MM')`, label: `to_char(a.local_day, 'YYYY-MM')` },
  'receiving-hospital': { key: 'a.receiving_hospital_id', label: 'rh.name' },
  'issuing-hospital': { key: 'a.issuing_hospital_id', label: 'ih.name' },
  item: { key: 'a.item_code', label: 'i.name' },
  category: { key: 'i.category', label: 'i.category' },
  city: { key: 'rh.city', label: 'rh.city' },
};

function where(filter: ReportFilter): RawBuilder<unknown> {
  const conditions = [sql`a.local_day between ${filter.from}::date and ${filter.to}::date`];
  if (filter.hospitalId) conditions.push(sql`a.receiving_hospital_id = ${filter.hospitalId}`);
  if (filter.city) conditions.push(sql`rh.city = ${filter.city}`);
  if (filter.category) conditions.push(sql`i.category = ${filter.category}`);
  return sql.join(conditions, sql` and `);
}

const joins = (withIssuer: boolean) =>
  sql.raw(
    'join hospitals rh on rh.id = a.receiving_hospital_id join items i on i.code = a.item_code' +
      (withIssuer ? ' join hospitals ih on ih.id = a.issuing_hospital_id' : ''),
  );

export interface CheckFigures { key: string; label: string; checks: number; with_recognizable: number; recognized: number | null }
export interface DecisionFigures {
  key: string; label: string; recognitions: number; declines: number; flagged: number; yuan: number; minutes: number; msv: number;
  own_recognitions: number; own_yuan: number; own_minutes: number; own_msv: number;
}
export interface PatientFigures { key: string; label: string; patients: number }

export async function savingsFigures(db: Database, groupBy: SavingsGrouping | 'total', filter: ReportFilter, locale: 'en' | 'zh' = 'en') {
  const g = groupings[groupBy];
  const key = sql.raw(g.key);
  const label = sql.raw(groupBy === 'item' && locale === 'zh' ? 'coalesce(i.name_zh, i.name)' : g.label);
  const byIssuer = groupBy === 'issuing-hospital';
  const plan = rollupPlan(groupBy, filter);
  if (plan) {
    const { rows } = await rollupFigures(plan, groupBy, filter, locale).execute(db);
    return { checks: rows, decisions: rows, patients: rows };
  }
  // Patient-days: distinct (day, patient) pairs, as the roll-ups count them.
  const patients = sql<PatientFigures>`
    select ${key} as key, ${label} as label, count(distinct (a.local_day, a.patient_hash)) as patients
    from agg_recognized_patients a ${joins(byIssuer)} where ${where(filter)} and not a.same_hospital group by 1, 2`;
  // The issuer's view of checks comes from the per-issuer candidate counts.
  const checks = byIssuer
    ? sql<CheckFigures>`select ${key} as key, ${label} as label, sum(a.check_items) as checks, sum(a.with_recognizable) as with_recognizable, null as recognized
        from agg_issuer_candidates a ${joins(true)} where ${where(filter)} group by 1, 2`
    : sql<CheckFigures>`select ${key} as key, ${label} as label, sum(a.check_items) as checks, sum(a.with_recognizable) as with_recognizable, sum(a.recognized) as recognized
        from agg_check_items a ${joins(false)} where ${where(filter)} group by 1, 2`;
  const decisions = sql<DecisionFigures>`
    select ${key} as key, ${label} as label,
      coalesce(sum(a.recognitions) filter (where not a.same_hospital), 0) as recognitions,
      sum(a.declines) as declines, sum(a.flagged_declines) as flagged,
      coalesce(sum(a.yuan) filter (where not a.same_hospital), 0) as yuan,
      coalesce(sum(a.minutes) filter (where not a.same_hospital), 0) as minutes,
      coalesce(sum(a.radiation_msv) filter (where not a.same_hospital), 0) as msv,
      coalesce(sum(a.recognitions) filter (where a.same_hospital), 0) as own_recognitions,
      coalesce(sum(a.yuan) filter (where a.same_hospital), 0) as own_yuan,
      coalesce(sum(a.minutes) filter (where a.same_hospital), 0) as own_minutes,
      coalesce(sum(a.radiation_msv) filter (where a.same_hospital), 0) as own_msv
    from agg_decisions a ${joins(byIssuer)} where ${where(filter)} group by 1, 2`;
  // Independent reads: on PostgreSQL they run side by side on the pool (PGlite queues them).
  const [c, d, p] = await Promise.all([checks.execute(db), decisions.execute(db), patients.execute(db)]);
  return { checks: c.rows, decisions: d.rows, patients: p.rows };
}

/**
 * The roll-up that answers a savings query, when one does: the grouping and at most one filter
 * must lie along one dimension (e.g. by day for one hospital, by item for the province). Others
 * (by item for one hospital, by issuer) read the fine aggregates.
 */
function rollupPlan(groupBy: SavingsGrouping | 'total', filter: ReportFilter): { dimension: string; value?: string } | null {
  const filters = [
    ['receiver', filter.hospitalId],
    ['city', filter.city],
    ['category', filter.category],
  ].filter((f): f is [string, string] => Boolean(f[1]));
  if (filters.length > 1) return null;
  const along: string | undefined = ({ 'receiving-hospital': 'receiver', 'issuing-hospital': 'issuer', item: 'item', category: 'category', city: 'city' } as Record<string, string>)[groupBy];
  const [filtered] = filters;
  if (!filtered) return { dimension: along ?? 'all' };
  if (along && along !== filtered[0]) return null;
  return { dimension: filtered[0], value: filtered[1] };
}

const rollupColumns = [
  'check_items', 'with_recognizable', 'recognized', 'recognitions', 'declines', 'flagged_declines', 'yuan', 'minutes', 'radiation_msv',
  'own_recognitions', 'own_yuan', 'own_minutes', 'own_radiation_msv', 'patients',
].join(', ');

/**
 * Savings along one roll-up dimension: whole months from agg_rollup_months and the partial months'
 * days from agg_rollup (every day when grouping by day). Rows are summed by key first and named after.
 */
function rollupFigures(plan: { dimension: string; value?: string }, groupBy: SavingsGrouping | 'total', filter: ReportFilter, locale: 'en' | 'zh') {
  const { months, days } = groupBy === 'day' ? { months: null, days: [[filter.from, filter.to] as [string, string]] } : splitIntoMonths(filter.from, filter.to);
  const value = plan.value === undefined ? sql`` : sql` and dim_value = ${plan.value}`;
  const columns = sql.raw(rollupColumns);
  const parts = days.map(([a, b]) => sql`select local_day, dim_value, ${columns} from agg_rollup
    where dimension = ${plan.dimension} and local_day between ${a}::date and ${b}::date${value}`);
  if (months) {
    parts.push(sql`select month, dim_value, ${columns} from agg_rollup_months
      where dimension = ${plan.dimension} and month between ${months[0]}::date and ${months[1]}::date${value}`);
  }
  const keyed = groupBy === 'day' || groupBy === 'month' || groupBy === 'total';
  const names: Record<string, [join: string, label: string]> = {
    receiver: ['left join hospitals h on h.id = g.key', 'coalesce(h.name, g.key)'],
    issuer: ['left join hospitals h on h.id = g.key', 'coalesce(h.name, g.key)'],
    item: ['left join items i on i.code = g.key', locale === 'zh' ? 'coalesce(i.name_zh, i.name, g.key)' : 'coalesce(i.name, g.key)'],
  };
  const [join, label] = (!keyed && names[plan.dimension]) || ['', 'g.key'];
  return sql<CheckFigures & DecisionFigures & PatientFigures>`
    select g.*, ${sql.raw(label)} as label from (
      select ${sql.raw(keyed ? groupings[groupBy].key : 'a.dim_value')} as key,
        sum(a.check_items) as checks, sum(a.with_recognizable) as with_recognizable, sum(a.recognized) as recognized,
        sum(a.recognitions) as recognitions, sum(a.declines) as declines, sum(a.flagged_declines) as flagged,
        sum(a.yuan) as yuan, sum(a.minutes) as minutes, sum(a.radiation_msv) as msv,
        sum(a.own_recognitions) as own_recognitions, sum(a.own_yuan) as own_yuan, sum(a.own_minutes) as own_minutes, sum(a.own_radiation_msv) as own_msv,
        sum(a.patients) as patients
      from (${sql.join(parts, sql` union all `)}) a
      group by 1
    ) g ${sql.raw(join)}`;
}

export async function declineFigures(db: Database, groupBy: 'code' | 'hospital' | 'practitioner', filter: ReportFilter) {
  const keys = { code: 'a.reason_code', hospital: 'a.receiving_hospital_id', practitioner: 'a.receiving_hospital_id, a.practitioner_id' }[groupBy];
  const key = { code: 'g.reason_code', hospital: 'g.receiving_hospital_id', practitioner: `g.receiving_hospital_id || '/' || g.practitioner_id` }[groupBy];
  const label = { code: 'g.reason_code', hospital: 'rh.name', practitioner: `g.practitioner_id || ' (' || rh.name || ')'` }[groupBy];
  const conditions = [];
  if (filter.hospitalId) conditions.push(sql`a.receiving_hospital_id = ${filter.hospitalId}`);
  if (filter.city) conditions.push(sql`a.receiving_hospital_id in (select id from hospitals where city = ${filter.city})`);
  // By reason or hospital: whole months from agg_decline_months; by practitioner, every day.
  const { months, days } = groupBy === 'practitioner' ? { months: null, days: [[filter.from, filter.to] as [string, string]] } : splitIntoMonths(filter.from, filter.to);
  const columns = sql.raw(`receiving_hospital_id, reason_code, ${groupBy === 'practitioner' ? 'practitioner_id, ' : ''}declines, flagged`);
  const parts = days.map(([a, b]) => sql`select ${columns} from agg_declines where local_day between ${a}::date and ${b}::date`);
  if (months) parts.push(sql`select ${columns} from agg_decline_months where month between ${months[0]}::date and ${months[1]}::date`);
  const result = await sql<{ key: string; label: string; declines: number; flagged: number }>`
    select ${sql.raw(key)} as key, ${sql.raw(label)} as label, g.declines, g.flagged
    from (
      select ${sql.raw(keys)}, sum(a.declines) as declines, sum(a.flagged) as flagged
      from (${sql.join(parts, sql` union all `)}) a ${conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
      group by ${sql.raw(keys)}
    ) g ${sql.raw(groupBy === 'code' ? '' : 'join hospitals rh on rh.id = g.receiving_hospital_id')}
    order by declines desc, key`.execute(db);
  return result.rows;
}

/**
 * A period as whole Asia/Shanghai months (read from agg_flow_months) and the days of its partial
 * months at either end (read from the daily aggregates).
 */
export function splitIntoMonths(from: string, to: string): { months: [string, string] | null; days: [string, string][] } {
  const time = (d: string) => Date.parse(`${d}T00:00:00Z`);
  const date = (t: number) => new Date(t).toISOString().slice(0, 10);
  const addMonths = (d: string, n: number) => {
    const t = new Date(time(`${d.slice(0, 7)}-01`));
    t.setUTCMonth(t.getUTCMonth() + n);
    return date(t.getTime());
  };
  const firstWhole = from.endsWith('-01') ? from : addMonths(from, 1);
  const afterTo = date(time(to) + DAY_MS);
  const afterWhole = afterTo.endsWith('-01') ? afterTo : addMonths(to, 0); // the day after the last whole month
  if (time(firstWhole) >= time(afterWhole)) return { months: null, days: [[from, to]] };
  const days: [string, string][] = [];
  if (time(from) < time(firstWhole)) days.push([from, date(time(firstWhole) - DAY_MS)]);
  if (time(afterWhole) <= time(to)) days.push([afterWhole, to]);
  return { months: [firstWhole, addMonths(afterWhole, -1)], days };
}

export async function flowFigures(db: Database, filter: Omit<ReportFilter, 'category'>, limit = 1000) {
  const { months, days } = splitIntoMonths(filter.from, filter.to);
  const parts = [];
  if (months) {
    parts.push(sql`select issuing_hospital_id, receiving_hospital_id, recognitions, yuan from agg_flow_months
      where month between ${months[0]}::date and ${months[1]}::date`);
  }
  if (days.length > 0) {
    const ranges = sql.join(days.map(([a, b]) => sql`local_day between ${a}::date and ${b}::date`), sql` or `);
    parts.push(sql`select issuing_hospital_id, receiving_hospital_id, recognitions, yuan from agg_decisions
      where not same_hospital and (${ranges})`);
  }
  const conditions = [sql`true`];
  if (filter.hospitalId) conditions.push(sql`(f.receiving_hospital_id = ${filter.hospitalId} or f.issuing_hospital_id = ${filter.hospitalId})`);
  if (filter.city) conditions.push(sql`f.receiving_hospital_id in (select id from hospitals where city = ${filter.city})`);
  // Pairs are summed and ranked by id; only the top ones are named.
  const result = await sql<{ issuer_id: string; issuer_name: string; receiver_id: string; receiver_name: string; recognitions: number; yuan: number }>`
    select g.issuing_hospital_id as issuer_id, ih.name as issuer_name, g.receiving_hospital_id as receiver_id, rh.name as receiver_name,
           g.recognitions, g.yuan
    from (
      select f.issuing_hospital_id, f.receiving_hospital_id, sum(f.recognitions) as recognitions, sum(f.yuan) as yuan
      from (${sql.join(parts, sql` union all `)}) f
      where ${sql.join(conditions, sql` and `)}
      group by 1, 2 having sum(f.recognitions) > 0
      order by recognitions desc, yuan desc, 1, 2 limit ${limit}
    ) g join hospitals rh on rh.id = g.receiving_hospital_id join hospitals ih on ih.id = g.issuing_hospital_id
    order by g.recognitions desc, g.yuan desc, g.issuing_hospital_id, g.receiving_hospital_id`.execute(db);
  return result.rows;
}

/** Every certification event with the category it concerns ('all' for every-item events). */
export async function certificationEvents(db: Database, filter: { hospitalId?: string; city?: string }) {
  let query = db
    .selectFrom('certification_events as e')
    .innerJoin('hospitals as h', 'h.id', 'e.hospital_id')
    .leftJoin('items as i', 'i.code', 'e.item_code')
    .select(['e.hospital_id', 'h.name as hospital_name', 'e.scope_id', 'e.item_code', 'e.category', 'i.category as item_category', 'e.status', 'e.effective_from', 'e.recorded_at']);
  if (filter.hospitalId) query = query.where('e.hospital_id', '=', filter.hospitalId);
  if (filter.city) query = query.where('h.city', '=', filter.city);
  return query.orderBy('e.hospital_id').execute();
}

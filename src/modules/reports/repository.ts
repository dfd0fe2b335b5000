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
];

/**
 * Savings along one roll-up dimension: whole months from agg_rollup_months and the partial months'
 * days from agg_rollup (every day when grouping by day). Rows are summed by key first and named after.
 */
function rollupFigures(plan: { dimension: string; value?: string }, groupBy: SavingsGrouping | 'total', filter: ReportFilter, locale: 'en' | 'zh') {
  const period = groupBy === 'day' ? { months: null, days: [[filter.from, filter.to] as [string, string]], minus: [] } : splitIntoMonths(filter.from, filter.to);
  const where = plan.value === undefined ? sql`dimension = ${plan.dimension}` : sql`dimension = ${plan.dimension} and dim_value = ${plan.value}`;
  const rows = periodRows(period, { daily: 'agg_rollup', monthly: 'agg_rollup_months', keys: ['dim_value'], figures: rollupColumns, where });
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
      from (${rows}) a
      group by 1
      -- A subtracted day can leave a group at zero: it had no event in the period.
      having sum(a.check_items) <> 0 or sum(a.recognized) <> 0 or sum(a.recognitions) <> 0 or sum(a.declines) <> 0 or sum(a.own_recognitions) <> 0
    ) g ${sql.raw(join)}`;
}

/**
 * Declines per reason, hospital or practitioner, the most first and at most `limit` of them, with
 * the number of groups and the totals over all of them.
 */
export async function declineFigures(db: Database, groupBy: 'code' | 'hospital' | 'practitioner', filter: ReportFilter, limit: number) {
  const keys = { code: 'a.reason_code', hospital: 'a.receiving_hospital_id', practitioner: 'a.receiving_hospital_id, a.practitioner_id' }[groupBy];
  const key = { code: 'a.reason_code', hospital: 'a.receiving_hospital_id', practitioner: `a.receiving_hospital_id || '/' || a.practitioner_id` }[groupBy];
  const label = { code: 'g.key', hospital: 'rh.name', practitioner: `g.practitioner_id || ' (' || rh.name || ')'` }[groupBy];
  const conditions = [];
  if (filter.hospitalId) conditions.push(sql`a.receiving_hospital_id = ${filter.hospitalId}`);
  if (filter.city) conditions.push(sql`a.receiving_hospital_id in (select id from hospitals where city = ${filter.city})`);
  // Whole months from agg_decline_months (by practitioner: agg_practitioner_months), days from agg_declines.
  const detail = { code: ['reason_code'], hospital: [], practitioner: ['practitioner_id'] }[groupBy];
  const rows = periodRows(splitIntoMonths(filter.from, filter.to), {
    daily: 'agg_declines',
    monthly: groupBy === 'practitioner' ? 'agg_practitioner_months' : 'agg_decline_months',
    keys: ['receiving_hospital_id', ...detail],
    figures: ['declines', 'flagged'],
  });
  const result = await sql<{ key: string; label: string; declines: number; flagged: number; groups: number; all_declines: number; all_flagged: number }>`
    select g.key, ${sql.raw(label)} as label, g.declines, g.flagged, g.groups, g.all_declines, g.all_flagged
    from (
      select ${sql.raw(keys)}, ${sql.raw(key)} as key, sum(a.declines) as declines, sum(a.flagged) as flagged,
        count(*) over () as groups, sum(sum(a.declines)) over () as all_declines, sum(sum(a.flagged)) over () as all_flagged
      from (${rows}) a ${conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
      group by ${sql.raw(keys)} having sum(a.declines) <> 0
      order by declines desc, key limit ${limit}
    ) g ${sql.raw(groupBy === 'code' ? '' : 'join hospitals rh on rh.id = g.receiving_hospital_id')}
    order by g.declines desc, g.key`.execute(db);
  const first = result.rows[0];
  return {
    rows: result.rows.map(({ key, label, declines, flagged }) => ({ key, label, declines, flagged })),
    groups: first?.groups ?? 0,
    totals: { declines: first?.all_declines ?? 0, flagged: first?.all_flagged ?? 0 },
  };
}

/** A period as month tables and daily tables read it: each range is inclusive, months by their first day. */
export interface PeriodParts {
  months: [first: string, last: string] | null;
  /** Days to add: the parts of partial months read day by day. */
  days: [string, string][];
  /** Days to subtract: a partial month read whole, less the days the period leaves out. */
  minus: [string, string][];
}

const dayTime = (d: string) => Date.parse(`${d}T00:00:00Z`);
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const dayBefore = (d: string) => dayOf(dayTime(d) - DAY_MS);
const dayAfter = (d: string) => dayOf(dayTime(d) + DAY_MS);
const nextMonth = (month: string) => {
  const t = new Date(dayTime(month));
  t.setUTCMonth(t.getUTCMonth() + 1);
  return dayOf(t.getTime());
};

/**
 * Splits a period of Asia/Shanghai days for the aggregates: whole months come from a monthly table.
 * A partial month is read from the daily table, or, when it leaves out fewer days than it covers,
 * as the whole month less the days it leaves out (a month's row is the sum of its days, so both
 * give the same figures, and a month of 30 days minus one reads far fewer rows than 29 days).
 */
export function splitIntoMonths(from: string, to: string): PeriodParts {
  const months: string[] = [];
  const days: [string, string][] = [];
  const minus: [string, string][] = [];
  for (let month = `${from.slice(0, 7)}-01`; month <= to; month = nextMonth(month)) {
    const last = dayBefore(nextMonth(month));
    const a = from > month ? from : month;
    const b = to < last ? to : last;
    const covered = (dayTime(b) - dayTime(a)) / DAY_MS + 1;
    const length = (dayTime(last) - dayTime(month)) / DAY_MS + 1;
    if (covered === length) {
      months.push(month);
    } else if (length - covered < covered) {
      months.push(month);
      if (a > month) minus.push([month, dayBefore(a)]);
      if (b < last) minus.push([dayAfter(b), last]);
    } else {
      days.push([a, b]);
    }
  }
  // Only the months at either end can be left out, so the months read are consecutive.
  return { months: months.length > 0 ? [months[0], months[months.length - 1]] : null, days, minus };
}

/** A day-range condition on `column` for each range, joined by `or`. */
const inRanges = (column: string, ranges: [string, string][]) =>
  sql.join(ranges.map(([a, b]) => sql`${sql.ref(column)} between ${a}::date and ${b}::date`), sql` or `);

interface PeriodSource {
  /** The daily table (its day column `local_day`) and the monthly one (`month`). */
  daily: string;
  monthly: string;
  /** The columns both tables share besides the day, and the additive figures. */
  keys: string[];
  figures: string[];
  /** A condition on both tables, and one on the daily table only. */
  where?: RawBuilder<unknown>;
  dailyWhere?: RawBuilder<unknown>;
}

/**
 * The aggregate rows of a period, `local_day, keys…, figures…`: its months from the monthly table,
 * its days from the daily one, and its subtracted days from the daily one with the figures negated.
 * Summed by key, they give the period's figures.
 */
function periodRows(period: PeriodParts, source: PeriodSource): RawBuilder<unknown> {
  const keys = sql.raw(source.keys.map((k) => `${k}, `).join(''));
  const figures = (sign: string) => sql.raw(source.figures.map((f) => `${sign}${f} as ${f}`).join(', '));
  const where = source.where ?? sql`true`;
  const daily = (ranges: [string, string][], sign: string) => sql`
    select local_day, ${keys}${figures(sign)} from ${sql.table(source.daily)}
    where (${inRanges('local_day', ranges)}) and ${where} and ${source.dailyWhere ?? sql`true`}`;
  const parts: RawBuilder<unknown>[] = [];
  if (period.days.length > 0) parts.push(daily(period.days, ''));
  if (period.minus.length > 0) parts.push(daily(period.minus, '-'));
  if (period.months) {
    parts.push(sql`select month as local_day, ${keys}${figures('')} from ${sql.table(source.monthly)}
      where month between ${period.months[0]}::date and ${period.months[1]}::date and ${where}`);
  }
  return sql.join(parts, sql` union all `);
}

export async function flowFigures(db: Database, filter: Omit<ReportFilter, 'category'>, limit: number) {
  const rows = periodRows(splitIntoMonths(filter.from, filter.to), {
    daily: 'agg_decisions',
    monthly: 'agg_flow_months',
    keys: ['issuing_hospital_id', 'receiving_hospital_id'],
    figures: ['recognitions', 'yuan'],
    dailyWhere: sql`not same_hospital`,
  });
  const conditions = [sql`true`];
  if (filter.hospitalId) conditions.push(sql`(f.receiving_hospital_id = ${filter.hospitalId} or f.issuing_hospital_id = ${filter.hospitalId})`);
  if (filter.city) conditions.push(sql`f.receiving_hospital_id in (select id from hospitals where city = ${filter.city})`);
  // Pairs are summed and ranked by id; only the top ones are named.
  const result = await sql<{ issuer_id: string; issuer_name: string; receiver_id: string; receiver_name: string; recognitions: number; yuan: number; pairs: number }>`
    select g.issuing_hospital_id as issuer_id, ih.name as issuer_name, g.receiving_hospital_id as receiver_id, rh.name as receiver_name,
           g.recognitions, g.yuan, g.pairs
    from (
      select f.issuing_hospital_id, f.receiving_hospital_id, sum(f.recognitions) as recognitions, sum(f.yuan) as yuan, count(*) over () as pairs
      from (${rows}) f
      where ${sql.join(conditions, sql` and `)}
      group by 1, 2 having sum(f.recognitions) > 0
      order by recognitions desc, yuan desc, 1, 2 limit ${limit}
    ) g join hospitals rh on rh.id = g.receiving_hospital_id join hospitals ih on ih.id = g.issuing_hospital_id
    order by g.recognitions desc, g.yuan desc, g.issuing_hospital_id, g.receiving_hospital_id`.execute(db);
  return { rows: result.rows, pairs: result.rows[0]?.pairs ?? 0 };
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

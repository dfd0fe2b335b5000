import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { flowListsSql } from './aggregates.ts';
import { rankFlows, type IssuerFlows } from './flow-ranking.ts';
import { periodParts, periodRows, splitPeriod } from './periods.ts';
import { dimension, dimensions, total, type Dimension, type SavingsGrouping } from './dimensions.ts';
import type { Locale } from '../rules/index.ts';
import { rollupFigureColumns } from './rollups.ts';

/**
 * Report queries. The figures come from the agg_* tables and the agg_flow_days view; hospitals and
 * items are read with them to filter by city or category and to name groups and flows. They never
 * read the log (recognition_checks, check_items, check_candidates, recognition_decisions). The
 * certifications report alone reads certification_events (with hospitals and items): it shows the
 * timelines as they stand, not counted figures.
 */

export interface ReportFilter {
  from: string;
  to: string;
  hospitalId?: string;
  city?: string;
  category?: string;
}

function where(filter: ReportFilter): RawBuilder<unknown> {
  const conditions = [sql`a.local_day between ${filter.from}::date and ${filter.to}::date`];
  if (filter.hospitalId) conditions.push(sql`a.receiving_hospital_id = ${filter.hospitalId}`);
  if (filter.city) conditions.push(sql`rh.city = ${filter.city}`);
  if (filter.category) conditions.push(sql`i.category = ${filter.category}`);
  return sql.join(conditions, sql` and `);
}

const joins = (withIssuer: boolean) =>
  sql`join hospitals rh on rh.id = a.receiving_hospital_id join items i on i.code = a.item_code ${
    withIssuer ? sql`join hospitals ih on ih.id = a.issuing_hospital_id` : sql``
  }`;

export interface CheckFigures {
  key: string;
  label: string;
  checks: number;
  with_recognizable: number;
  recognized: number;
}
export interface DecisionFigures {
  key: string;
  label: string;
  recognitions: number;
  declines: number;
  flagged: number;
  yuan: number;
  minutes: number;
  msv: number;
  own_recognitions: number;
  own_yuan: number;
  own_minutes: number;
  own_msv: number;
}
export interface PatientFigures {
  key: string;
  label: string;
  patients: number;
}

export async function savingsFigures(db: Database, groupBy: SavingsGrouping | 'total', filter: ReportFilter, locale: Locale = 'en') {
  const g = dimension(groupBy);
  const key = sql.raw(g.key);
  const label = sql.raw(g.label(locale));
  const byIssuer = Boolean(g.byIssuer);
  const plan = rollupPlan(g, filter);
  if (plan) {
    const { rows } = await rollupFigures(plan, g, filter, locale).execute(db);
    return { checks: rows, decisions: rows, patients: rows };
  }
  // Patient-days: distinct (day, patient) pairs, as the roll-ups count them.
  const patients = sql<PatientFigures>`
    select ${key} as key, ${label} as label, count(distinct (a.local_day, a.patient_hash)) as patients
    from agg_recognized_patients a ${joins(byIssuer)} where ${where(filter)} and not a.same_hospital group by 1, 2`;
  // The issuer's view of checks comes from the per-issuer candidate counts; both count recognitions on the check's day.
  const checks = sql<CheckFigures>`
    select ${key} as key, ${label} as label, sum(a.check_items) as checks, sum(a.with_recognizable) as with_recognizable, sum(a.recognized) as recognized
    from ${sql.table(byIssuer ? 'agg_issuer_candidates' : 'agg_check_items')} a ${joins(byIssuer)} where ${where(filter)} group by 1, 2`;
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
function rollupPlan(g: Dimension, filter: ReportFilter): { dimension: Dimension; value?: string } | null {
  const filters = rollupFilters.filter((d) => filter[d.filter!] !== undefined);
  if (filters.length > 1) return null;
  const [filtered] = filters;
  const along = g === total ? undefined : g.rollup;
  if (!filtered) return { dimension: along ? g : total };
  if (along && along.name !== filtered.rollup!.name) return null;
  return { dimension: filtered, value: filter[filtered.filter!] };
}

/** The dimensions a report filter reads a roll-up by. */
const rollupFilters = (dimensions as readonly Dimension[]).filter((d) => d.filter && d.rollup);

/**
 * Savings along one roll-up dimension: whole months from agg_rollup_months and partial months from
 * agg_rollup, day by day or as a whole month less some days (periods.ts; every day when grouping by
 * day). Rows are summed by key first and named after.
 */
function rollupFigures(plan: { dimension: Dimension; value?: string }, g: Dimension, filter: ReportFilter, locale: Locale) {
  const period = splitPeriod(filter.from, filter.to, g.calendar === 'day' ? ['day'] : ['month', 'day']);
  const rollup = plan.dimension.rollup!;
  const where = plan.value === undefined ? sql`dimension = ${rollup.name}` : sql`dimension = ${rollup.name} and dim_value = ${plan.value}`;
  const rows = periodRows(period, {
    tables: { day: 'agg_rollup', month: 'agg_rollup_months' },
    keys: ['dim_value'],
    figures: rollupFigureColumns,
    where,
  });
  // Grouped along the roll-up's own dimension: its values are the keys; otherwise (calendar, total) the grouping's key.
  const along = g.rollup !== undefined && g !== total;
  const join = along ? (rollup.join ?? '') : '';
  const label = along && rollup.label ? rollup.label(locale) : 'g.key';
  return sql<CheckFigures & DecisionFigures & PatientFigures>`
    select g.*, ${sql.raw(label)} as label from (
      select ${sql.raw(along ? 'a.dim_value' : g.key)} as key,
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

/** How the declines report groups: the aggregate columns kept, the group's key and its label. */
const declineGroupings = {
  code: { grouped: ['reason_code'], keys: sql`a.reason_code`, key: sql`a.reason_code`, label: sql`g.key` },
  hospital: {
    grouped: ['receiving_hospital_id'],
    keys: sql`a.receiving_hospital_id`,
    key: sql`a.receiving_hospital_id`,
    label: sql`rh.name`,
  },
  // A practitioner is named within their hospital.
  practitioner: {
    grouped: ['receiving_hospital_id', 'practitioner_id'],
    keys: sql`a.receiving_hospital_id, a.practitioner_id`,
    key: sql`a.receiving_hospital_id || '/' || a.practitioner_id`,
    label: sql`g.practitioner_id || ' (' || rh.name || ')'`,
  },
};

/**
 * Declines per reason, hospital or practitioner, the most first and at most `limit` of them, with
 * the number of groups and the totals over all of them.
 */
export async function declineFigures(db: Database, groupBy: 'code' | 'hospital' | 'practitioner', filter: ReportFilter, limit: number) {
  const { grouped, keys, key, label } = declineGroupings[groupBy];
  const conditions = [];
  if (filter.hospitalId) conditions.push(sql`a.receiving_hospital_id = ${filter.hospitalId}`);
  if (filter.city) conditions.push(sql`a.receiving_hospital_id in (select id from hospitals where city = ${filter.city})`);
  // Whole months from agg_decline_months (by practitioner: whole years and months from agg_practitioner_years
  // and agg_practitioner_months), days from agg_declines; every part keeps the receiver for the hospital and city filters.
  const byPractitioner = groupBy === 'practitioner';
  const rows = periodRows(splitPeriod(filter.from, filter.to, byPractitioner ? ['year', 'month', 'day'] : ['month', 'day']), {
    tables: byPractitioner
      ? { day: 'agg_declines', month: 'agg_practitioner_months', year: 'agg_practitioner_years' }
      : { day: 'agg_declines', month: 'agg_decline_months' },
    keys: [...new Set(['receiving_hospital_id', ...grouped])],
    figures: ['declines', 'flagged'],
  });
  const result = await sql<{
    key: string;
    label: string;
    declines: number;
    flagged: number;
    groups: number;
    all_declines: number;
    all_flagged: number;
  }>`
    select g.key, ${label} as label, g.declines, g.flagged, g.groups, g.all_declines, g.all_flagged
    from (
      select ${keys}, ${key} as key, sum(a.declines) as declines, sum(a.flagged) as flagged,
        count(*) over () as groups, sum(sum(a.declines)) over () as all_declines, sum(sum(a.flagged)) over () as all_flagged
      from (${rows}) a ${conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
      group by ${keys} having sum(a.declines) <> 0
      order by declines desc, key limit ${limit}
    ) g ${groupBy === 'code' ? sql`` : sql`join hospitals rh on rh.id = g.receiving_hospital_id`}
    order by g.declines desc, g.key`.execute(db);
  const first = result.rows[0];
  return {
    rows: result.rows.map(({ key, label, declines, flagged }) => ({ key, label, declines, flagged })),
    groups: first?.groups ?? 0,
    totals: { declines: first?.all_declines ?? 0, flagged: first?.all_flagged ?? 0 },
  };
}

/**
 * The largest issuer → receiver flows of a period, at most `limit`, and the number of pairs. Each
 * signed piece of the period (periods.ts) comes as one row per issuer: years and months from
 * agg_flow_year_issuers and agg_flow_month_issuers, days summed per issuer on the way out;
 * flow-ranking.ts sums the pairs and ranks them (ties by hospital number), and only the top ones are named.
 */
export async function flowFigures(db: Database, filter: Omit<ReportFilter, 'category'>, limit: number) {
  const lists = { year: 'agg_flow_year_issuers', month: 'agg_flow_month_issuers' } as const;
  const parts = periodParts(splitPeriod(filter.from, filter.to, ['year', 'month', 'day']), (level, sign, within) =>
    level === 'day'
      ? sql<IssuerFlows>`select ${sign}::integer as sign, f.issuer_num, ${flowListsSql} from agg_flow_days f where ${within} group by f.issuer_num`
      : sql<IssuerFlows>`select ${sign}::integer as sign, issuer_num, receiver_nums, recognitions, fen from ${sql.table(lists[level])} where ${within}`,
  );
  const [flows, hospitals] = await Promise.all([
    sql<IssuerFlows>`${sql.join(parts, sql` union all `)}`.execute(db),
    sql<{ num: number; id: string; name: string; city: string }>`select num, id, name, city from hospitals`.execute(db),
  ]);
  const byNum = new Map(hospitals.rows.map((h) => [h.num, h]));
  const only = filter.hospitalId === undefined ? undefined : (hospitals.rows.find((h) => h.id === filter.hospitalId)?.num ?? -1);
  const keep = (issuer: number, receiver: number) =>
    (only === undefined || issuer === only || receiver === only) &&
    (filter.city === undefined || byNum.get(receiver)?.city === filter.city);
  const { top, pairs } = rankFlows(flows.rows, limit, keep);
  const name = (num: number) => byNum.get(num) ?? { id: String(num), name: String(num) };
  return {
    rows: top.map((f) => ({
      issuer_id: name(f.issuer).id,
      issuer_name: name(f.issuer).name,
      receiver_id: name(f.receiver).id,
      receiver_name: name(f.receiver).name,
      recognitions: f.recognitions,
      yuan: f.fen / 100,
    })),
    pairs,
  };
}

/** Every certification event with the category it concerns ('all' for every-item events). */
export async function certificationEvents(db: Database, filter: { hospitalId?: string; city?: string }) {
  let query = db
    .selectFrom('certification_events as e')
    .innerJoin('hospitals as h', 'h.id', 'e.hospital_id')
    .leftJoin('items as i', 'i.code', 'e.item_code')
    .select([
      'e.hospital_id',
      'h.name as hospital_name',
      'e.scope_id',
      'e.item_code',
      'e.category',
      'i.category as item_category',
      'e.status',
      'e.effective_from',
      'e.recorded_at',
    ]);
  if (filter.hospitalId) query = query.where('e.hospital_id', '=', filter.hospitalId);
  if (filter.city) query = query.where('h.city', '=', filter.city);
  return query.orderBy('e.hospital_id').execute();
}

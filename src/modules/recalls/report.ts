import { sql } from 'kysely';
import { addDays, DAY_MS, shanghaiMidnight } from '../../calendar.ts';
import type { Database } from '../../db/database.ts';
import { Forbidden } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import { reportPeriod } from '../reports/index.ts';
import { recallCauses, type RecallCause } from '../rules/index.ts';
import type { RecallReport, RecallReportQuery } from './report-schemas.ts';

/**
 * The recalls report: how many recalls were made in a period, how many the recognising hospitals
 * acknowledged and how fast, by cause, issuer and recognising hospital; and the open recalls left
 * waiting too long. Read straight from `recalls`, with `hospitals` joined to name the groups.
 */

/** Which recalls a report reads: a hospital client sees those it was told of and those of its own results. */
interface RecallScope {
  hospitalId?: string;
  issuerId?: string;
  viewer?: string;
}

interface Period {
  start: Date;
  end: Date;
}

type Grouping = 'cause' | 'issuer' | 'hospital';

const staleListLength = 100;

function scoped(db: Database, scope: RecallScope) {
  let query = db.selectFrom('recalls as r');
  if (scope.hospitalId) query = query.where('r.hospital_id', '=', scope.hospitalId);
  if (scope.issuerId) query = query.where('r.issuing_hospital_id', '=', scope.issuerId);
  const viewer = scope.viewer;
  if (viewer) query = query.where((eb) => eb.or([eb('r.hospital_id', '=', viewer), eb('r.issuing_hospital_id', '=', viewer)]));
  return query;
}

const hoursToAcknowledge = sql`extract(epoch from r.acknowledged_at - r.created_at)::float8 / 3600`;
// percentile_cont skips the nulls of open recalls, and is null when every recall is open.
const percentile = (fraction: number) =>
  sql<number | null>`round((percentile_cont(${sql.lit(fraction)}) within group (order by ${hoursToAcknowledge}))::numeric, 1)`;
const figures = [
  sql<number>`count(*)`.as('recalls'),
  sql<number>`count(r.acknowledged_at)`.as('acknowledged'),
  percentile(0.5).as('median_hours'),
  percentile(0.9).as('p90_hours'),
];

const made = (db: Database, scope: RecallScope, period: Period) =>
  scoped(db, scope).where('r.created_at', '>=', period.start).where('r.created_at', '<', period.end);

/** The figures of every recall made in the period. */
export async function recallTotals(db: Database, scope: RecallScope, period: Period) {
  return made(db, scope, period).select(figures).executeTakeFirstOrThrow();
}

/** The figures of the recalls made in the period, per cause or per hospital (labelled with its name), the most recalls first. */
export async function recallGroups(db: Database, scope: RecallScope, period: Period, by: Grouping) {
  if (by === 'cause') {
    return made(db, scope, period)
      .select([sql.ref<string>('r.cause').as('key'), sql.ref<string>('r.cause').as('label'), ...figures])
      .groupBy('r.cause')
      .execute();
  }
  const column = by === 'issuer' ? 'r.issuing_hospital_id' : 'r.hospital_id';
  return made(db, scope, period)
    .leftJoin('hospitals as h', 'h.id', column)
    .select([sql.ref<string>(column).as('key'), sql<string>`coalesce(h.name, ${sql.ref(column)})`.as('label'), ...figures])
    .groupBy([column, 'h.name'])
    .orderBy('recalls', 'desc')
    .orderBy(column)
    .execute();
}

/** How many open recalls were made before `before`, and the oldest of them. */
export async function staleRecalls(db: Database, scope: RecallScope, before: Date, limit: number) {
  const open = scoped(db, scope).where('r.acknowledged_at', 'is', null).where('r.created_at', '<', before);
  const [count, rows] = await Promise.all([
    open.select(sql<number>`count(*)`.as('stale')).executeTakeFirstOrThrow(),
    open
      .select(['r.id', 'r.hospital_id', 'r.issuing_hospital_id', 'r.accession_no', 'r.item_code', 'r.cause', 'r.created_at'])
      .orderBy('r.created_at')
      .orderBy('r.id')
      .limit(limit)
      .execute(),
  ]);
  return { stale: count.stale, rows };
}

/** Administrators read every recall; a hospital client the recalls made to it and those of its own results. */
function viewerOf(actor: Actor): string | undefined {
  if (actor.isAdmin) return undefined;
  if (!actor.hospitalId) throw new Forbidden('Reports need the admin or reports:read scope');
  return actor.hospitalId;
}

/** The period's days (as every report reads them) and the instants they span. */
function recallPeriod(query: { from?: string; to?: string }, now: Date) {
  const { from, to } = reportPeriod(query, now);
  return { from, to, start: shanghaiMidnight(from), end: shanghaiMidnight(addDays(to, 1)) };
}

type FigureRow = Awaited<ReturnType<typeof recallTotals>>;

const toFigures = (row: FigureRow | undefined) => ({
  recalls: row?.recalls ?? 0,
  acknowledged: row?.acknowledged ?? 0,
  open: (row?.recalls ?? 0) - (row?.acknowledged ?? 0),
  medianHoursToAcknowledge: row?.median_hours ?? null,
});

export function createRecallReportService({ db, clock }: { db: Database; clock: () => Date }) {
  return {
    async report(actor: Actor, query: RecallReportQuery): Promise<RecallReport> {
      const now = clock();
      const { from, to, start, end } = recallPeriod(query, now);
      const scope = { hospitalId: query.hospitalId, issuerId: query.issuerId, viewer: viewerOf(actor) };
      const period = { start, end };
      const [total, byCause, byIssuer, byHospital, stale] = await Promise.all([
        recallTotals(db, scope, period),
        recallGroups(db, scope, period, 'cause'),
        recallGroups(db, scope, period, 'issuer'),
        recallGroups(db, scope, period, 'hospital'),
        staleRecalls(db, scope, new Date(now.getTime() - query.staleDays * DAY_MS), staleListLength),
      ]);
      const causes = new Map(byCause.map((row) => [row.key, row]));
      return {
        from,
        to,
        staleDays: query.staleDays,
        asOf: now.toISOString(),
        totals: { ...toFigures(total), openOlderThanStaleDays: stale.stale, p90HoursToAcknowledge: total.p90_hours },
        byCause: recallCauses.map((cause) => ({ cause, ...toFigures(causes.get(cause)) })),
        byIssuer: byIssuer.map((row) => ({ key: row.key, label: row.label, ...toFigures(row) })),
        byHospital: byHospital.map((row) => ({ key: row.key, label: row.label, ...toFigures(row) })),
        stale: stale.rows.map((row) => ({
          recallId: row.id,
          hospitalId: row.hospital_id,
          issuingHospitalId: row.issuing_hospital_id,
          accessionNo: row.accession_no,
          itemCode: row.item_code,
          cause: row.cause as RecallCause,
          createdAt: row.created_at.toISOString(),
          ageDays: Math.floor((now.getTime() - row.created_at.getTime()) / DAY_MS),
        })),
      };
    },
  };
}

export type RecallReportService = ReturnType<typeof createRecallReportService>;

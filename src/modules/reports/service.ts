import type { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { BadRequest, Forbidden } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import { DAY_MS, shanghaiDay } from '../../calendar.ts';
import { certificationStatus, declineMeanings, statusAt, type DeclineCode, type Locale } from '../rules/index.ts';
import { queueLag } from './aggregator.ts';
import * as repo from './repository.ts';
import type { certificationsQuery, declinesQuery, flowsQuery, savingsQuery, SavingsGrouping } from './schemas.ts';

const maxDays = 3 * 366;

/**
 * Administrators see every hospital's figures; a hospital client (reports:read) sees only its own:
 * naming another hospital is refused, naming none means its own.
 */
export function reportHospital(actor: Actor, hospitalId: string | undefined): string | undefined {
  if (actor.isAdmin) return hospitalId;
  if (!actor.hospitalId) throw new Forbidden('Reports need the admin or reports:read scope');
  if (hospitalId && hospitalId !== actor.hospitalId) throw new Forbidden(`This client may read the reports of ${actor.hospitalId} only`);
  return actor.hospitalId;
}

export function reportPeriod(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? shanghaiDay(now);
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0) throw new BadRequest('The period ends before it starts', [{ field: 'from', message: 'must not be after to' }]);
  if (days >= maxDays)
    throw new BadRequest(`A report spans at most ${maxDays} days`, [{ field: 'from', message: `must be within ${maxDays} days of to` }]);
  return { from, to };
}

const ratio = (numerator: number, denominator: number) =>
  denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : null;
const money = (n: number) => Math.round(n * 100) / 100;
const dose = (n: number) => Math.round(n * 1000) / 1000;

type Figures = Awaited<ReturnType<typeof repo.savingsFigures>>;

function toRow(key: string, label: string, c?: repo.CheckFigures, d?: repo.DecisionFigures, p?: repo.PatientFigures) {
  const recognitions = d?.recognitions ?? 0;
  const withRecognizable = c?.with_recognizable ?? 0;
  const minutes = d?.minutes ?? 0;
  const patients = p?.patients ?? 0;
  return {
    key,
    label,
    checks: c?.checks ?? 0,
    checksWithRecognizable: withRecognizable,
    recognitions,
    declines: d?.declines ?? 0,
    flaggedDeclines: d?.flagged ?? 0,
    recognitionRate: ratio(c?.recognized ?? 0, withRecognizable),
    yuan: money(d?.yuan ?? 0),
    minutes,
    radiationMsv: dose(d?.msv ?? 0),
    patients,
    minutesPerPatient: patients > 0 ? Math.round((minutes / patients) * 10) / 10 : null,
    sameHospital: {
      recognitions: d?.own_recognitions ?? 0,
      yuan: money(d?.own_yuan ?? 0),
      minutes: d?.own_minutes ?? 0,
      radiationMsv: dose(d?.own_msv ?? 0),
    },
  };
}

function mergeFigures(figures: Figures) {
  const parts = new Map<string, { label: string; c?: repo.CheckFigures; d?: repo.DecisionFigures; p?: repo.PatientFigures }>();
  const slot = (key: string, label: string) => parts.get(key) ?? parts.set(key, { label }).get(key)!;
  for (const c of figures.checks) slot(c.key, c.label).c = c;
  for (const d of figures.decisions) slot(d.key, d.label).d = d;
  for (const p of figures.patients) slot(p.key, p.label).p = p;
  return [...parts.entries()].map(([key, { label, c, d, p }]) => toRow(key, label, c, d, p));
}

function calendarKeys(groupBy: SavingsGrouping, from: string, to: string): string[] | null {
  if (groupBy !== 'day' && groupBy !== 'month') return null;
  const keys = new Set<string>();
  for (let t = Date.parse(from); t <= Date.parse(to); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    keys.add(groupBy === 'day' ? day : day.slice(0, 7));
  }
  return [...keys];
}

export function createReportService({ db, clock }: { db: Database; clock: () => Date }) {
  /**
   * Reports only read: the aggregator alone counts the log into the aggregates. Each answer says how
   * fresh its figures are: the checks and decisions recorded but not yet counted, and the oldest's age.
   */
  const freshness = async () => {
    const lag = await queueLag(db, clock());
    return { uncounted: lag.items, oldestUncountedSeconds: Math.round(lag.oldestSeconds * 10) / 10 };
  };

  return {
    async savings(actor: Actor, query: z.infer<typeof savingsQuery>, locale: Locale = 'en') {
      const period = reportPeriod(query, clock());
      const filter = { ...period, hospitalId: reportHospital(actor, query.hospitalId), city: query.city, category: query.category };
      const [grouped, total] = await Promise.all([
        repo.savingsFigures(db, query.groupBy, filter, locale),
        repo.savingsFigures(db, 'total', filter),
      ]);
      let rows = mergeFigures(grouped);
      const calendar = calendarKeys(query.groupBy, period.from, period.to);
      if (calendar) {
        // Every day (or month) of the period appears, with zeros where nothing happened.
        const byKey = new Map(rows.map((r) => [r.key, r]));
        rows = calendar.map((key) => byKey.get(key) ?? toRow(key, key));
      } else {
        rows.sort((a, b) => b.yuan - a.yuan || b.checks - a.checks || a.key.localeCompare(b.key));
      }
      const { key: _key, label: _label, ...totals } = mergeFigures(total)[0] ?? toRow('total', 'total');
      return { ...period, groupBy: query.groupBy, totals, rows, freshness: await freshness() };
    },

    async declines(actor: Actor, query: z.infer<typeof declinesQuery>, locale: Locale) {
      const period = reportPeriod(query, clock());
      const filter = { ...period, hospitalId: reportHospital(actor, query.hospitalId), city: query.city };
      const { rows, groups, totals } = await repo.declineFigures(db, query.groupBy, filter, query.limit);
      const labelled = rows.map((r) => ({
        ...r,
        label: query.groupBy === 'code' ? `${r.key}: ${declineMeanings[r.key as DeclineCode]?.[locale] ?? r.key}` : r.label,
      }));
      return { ...period, groupBy: query.groupBy, totals, groups, rows: labelled, freshness: await freshness() };
    },

    async flows(actor: Actor, query: z.infer<typeof flowsQuery>) {
      const period = reportPeriod(query, clock());
      const { rows, pairs } = await repo.flowFigures(
        db,
        { ...period, hospitalId: reportHospital(actor, query.hospitalId), city: query.city },
        query.limit,
      );
      return {
        ...period,
        freshness: await freshness(),
        pairs,
        rows: rows.map((r) => ({
          issuerId: r.issuer_id,
          issuerName: r.issuer_name,
          receiverId: r.receiver_id,
          receiverName: r.receiver_name,
          recognitions: r.recognitions,
          yuan: money(r.yuan),
        })),
      };
    },

    /** Certification health now: per hospital and category, how many (scope, coverage) timelines are in each status. */
    async certifications(actor: Actor, query: z.infer<typeof certificationsQuery>) {
      const now = clock();
      const events = await repo.certificationEvents(db, { hospitalId: reportHospital(actor, query.hospitalId), city: query.city });
      const timelines = new Map<string, typeof events>();
      for (const e of events) {
        const key = JSON.stringify([e.hospital_id, e.scope_id, e.item_code, e.category]);
        timelines.set(key, [...(timelines.get(key) ?? []), e]);
      }
      const counts = new Map<
        string,
        { hospitalId: string; hospitalName: string; category: string; active: number; suspended: number; revoked: number }
      >();
      for (const timeline of timelines.values()) {
        const first = timeline[0];
        const status = statusAt(
          timeline.map((e) => ({
            scopeId: e.scope_id,
            itemCode: e.item_code,
            category: null,
            status: certificationStatus(e.status),
            effectiveFrom: e.effective_from,
            recordedAt: e.recorded_at,
          })),
          now,
        );
        if (!status) continue;
        const category = first.item_category ?? first.category ?? 'all';
        const key = `${first.hospital_id}\u0000${category}`;
        const row = counts.get(key) ?? {
          hospitalId: first.hospital_id,
          hospitalName: first.hospital_name,
          category,
          active: 0,
          suspended: 0,
          revoked: 0,
        };
        row[status] += 1;
        counts.set(key, row);
      }
      const rows = [...counts.values()].sort((a, b) => a.hospitalId.localeCompare(b.hospitalId) || a.category.localeCompare(b.category));
      return { asOf: now.toISOString(), rows };
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;

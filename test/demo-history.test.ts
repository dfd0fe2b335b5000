import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import { loadDemoDataIfEmpty, type DemoLoadSummary } from '../src/demo/load.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics, type Metrics } from '../src/metrics.ts';
import { aggregateTables, rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { adminToken, bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';

// The demo's year of history (src/demo/history/): made through the services, consistent with
// itself, and counted into the reports. demo.test.ts covers the province and the walk-through.
const fixedNow = new Date('2026-11-30T02:00:00Z');
const DAY_MS = 86_400_000;
const LOAD_MS = 120_000;

type Counted = 'hospitals' | 'certification_events' | 'results' | 'recognition_checks' | 'recognition_decisions';

async function tableCount(db: Database, table: Counted): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function rows<T>(db: Database, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

describe("the demo's year of history", () => {
  let ctx: TestContext;
  let first: DemoLoadSummary;

  beforeAll(async () => {
    ctx = await createTestContext();
    first = await loadDemoDataIfEmpty(ctx.db, ctx.keys.patientKeySecret, createLogger('silent'), fixedNow);
  }, LOAD_MS);
  afterAll(() => ctx?.close());

  it('has a year of checks and decisions, as the summary says: mostly recognitions, declines with reasons, a few flagged', async () => {
    const history = first.history!;
    expect(history.days).toBeGreaterThanOrEqual(365);
    expect(history.checks).toBeGreaterThan(1500);
    expect(await tableCount(ctx.db, 'recognition_checks')).toBe(history.checks);
    const decisions = await rows<{ action: string; reason_code: string | null; reason_text: string | null; flagged: boolean; n: number }>(
      ctx.db,
      sql`select action, reason_code, reason_text, flagged, count(*)::integer as n from recognition_decisions group by 1, 2, 3, 4`,
    );
    const sum = (keep: (d: (typeof decisions)[number]) => boolean) => decisions.filter(keep).reduce((n, d) => n + d.n, 0);
    expect(sum((d) => d.action === 'recognized')).toBe(history.recognitions);
    expect(sum((d) => d.action === 'declined')).toBe(history.declines);
    expect(sum((d) => d.flagged)).toBe(history.flagged);
    expect(history.recognitions).toBeGreaterThan(5 * history.declines);
    expect(history.flagged).toBeGreaterThan(20);
    expect(history.flagged).toBeLessThan(history.declines);
    // Every decline has its reason, every reason of the advisories is used, and D6 says why.
    expect(sum((d) => d.action === 'declined' && d.reason_code === null)).toBe(0);
    expect(new Set(decisions.flatMap((d) => (d.reason_code ? [d.reason_code] : [])))).toEqual(
      new Set([
        'D1_CONDITION_CHANGED',
        'D2_RAPID_CHANGE',
        'D3_MAJOR_INTERVENTION',
        'D4_EMERGENCY',
        'D5_FORENSIC',
        'D6_OTHER',
        'D7_PATIENT_REQUEST',
        'D8_NO_REFERENCE_VALUE',
        'D9_EQUIPMENT_QUALITY',
        'D10_CRITICAL_FOLLOWUP',
      ]),
    );
    expect(sum((d) => d.reason_code === 'D6_OTHER' && !d.reason_text)).toBe(0);

    // Flagged: a reusable result declined with no advisory behind it; the others followed an advisory.
    const [mismatched] = await rows<{ n: number }>(
      ctx.db,
      sql`select count(*)::integer as n from recognition_decisions d
          join check_candidates c on c.check_id = d.check_id and c.item_code = d.item_code and c.result_id = d.result_id
          where d.action = 'declined' and d.flagged <> (c.outcome = 'RECOGNIZABLE' and cardinality(c.advisories) = 0)
             or d.action = 'declined' and not d.flagged and not (d.reason_code = any (c.advisories))`,
    );
    expect(mismatched.n).toBe(0);

    // Made through the services: each check and decision left its audit event.
    const audit = await rows<{ action: string; n: number }>(
      ctx.db,
      sql`select action, count(*)::integer as n from audit_events where request_id = 'demo-history' group by 1`,
    );
    expect(Object.fromEntries(audit.map((a) => [a.action, a.n]))).toMatchObject({ 'recognition.check': history.checks });
  });

  it('dates the history over the last year, busiest in winter, quiet over the Spring Festival, never ahead of its results', async () => {
    const [span] = await rows<{ first: Date; last: Date; days: number }>(
      ctx.db,
      sql`select min(created_at) as first, max(created_at) as last, count(distinct (created_at at time zone 'Asia/Shanghai')::date)::integer as days from recognition_checks`,
    );
    expect(span.first.getTime()).toBeGreaterThan(fixedNow.getTime() - 400 * DAY_MS);
    expect(span.last.getTime()).toBeLessThan(fixedNow.getTime());
    expect(span.days).toBeGreaterThan(300);
    // A day's checks run together, yet each read the clock at its own minute.
    const [times] = await rows<{ checks: number; instants: number }>(
      ctx.db,
      sql`select count(*)::integer as checks, count(distinct created_at)::integer as instants from recognition_checks`,
    );
    expect(times.instants).toBe(times.checks);
    const perMonth = new Map(
      (
        await rows<{ month: string; n: number }>(
          ctx.db,
          sql`select to_char(created_at at time zone 'Asia/Shanghai', 'MM') as month, count(*)::integer as n from recognition_checks group by 1`,
        )
      ).map((r) => [r.month, r.n]),
    );
    const mean = (months: string[]) => months.reduce((n, m) => n + perMonth.get(m)!, 0) / months.length;
    expect(mean(['12', '01'])).toBeGreaterThan(1.2 * mean(['06', '07', '08']));
    // Spring Festival 2026 fell on 17 February: its week against the same days a month later.
    const [festival, march] = await rows<{ n: number }>(
      ctx.db,
      sql`select count(*)::integer as n from recognition_checks where created_at >= '2026-02-16T16:00:00Z' and created_at < '2026-02-23T16:00:00Z'
          union all select count(*)::integer from recognition_checks where created_at >= '2026-03-16T16:00:00Z' and created_at < '2026-03-23T16:00:00Z'`,
    );
    expect(festival.n * 2.5).toBeLessThan(march.n);
    // A check only ever saw results already submitted.
    const [early] = await rows<{ n: number }>(
      ctx.db,
      sql`select count(*)::integer as n from check_candidates c join recognition_checks k on k.id = c.check_id join results r on r.id = c.result_id where r.created_at > k.created_at`,
    );
    expect(early.n).toBe(0);
  });

  it('has amended and withdrawn results, a suspension part-way through the year, and cross-city flows', async () => {
    const history = first.history!;
    const versions = await rows<{ status: string; n: number }>(
      ctx.db,
      sql`select r.status, count(*)::integer as n from results r where r.version > 1 and exists (select 1 from result_versions v where v.result_id = r.id and v.recorded_by like '%-his') group by 1`,
    );
    const revised = Object.fromEntries(versions.map((v) => [v.status, v.n]));
    expect((revised.amended ?? 0) + (revised.corrected ?? 0)).toBe(history.amended);
    expect(revised['entered-in-error']).toBe(history.withdrawn);
    expect(history.amended).toBeGreaterThan(50);
    expect(history.withdrawn).toBeGreaterThan(10);

    // WZ-004's laboratory, suspended 120 days ago and reinstated 30 days ago, recorded on those days.
    const wz004 = await ctx.db
      .selectFrom('certification_events')
      .selectAll()
      .where('hospital_id', '=', 'WZ-004')
      .where('category', '=', 'lab')
      .orderBy('recorded_at')
      .execute();
    expect(wz004.map((e) => [e.scope_id, e.status, e.recorded_by])).toEqual([
      ['ZJ', 'suspended', 'demo-data'],
      ['WZ', 'suspended', 'demo-data'],
      ['ZJ', 'active', 'demo-data'],
      ['WZ', 'active', 'demo-data'],
    ]);
    expect(Math.round((fixedNow.getTime() - wz004[0].recorded_at.getTime()) / DAY_MS)).toBe(120);
    const reasons = await rows<{ reason: string; n: number }>(
      ctx.db,
      sql`select unnest(reasons) as reason, count(*)::integer as n from check_candidates group by 1`,
    );
    const byReason = Object.fromEntries(reasons.map((r) => [r.reason, r.n]));
    for (const reason of [
      'NR_EXPIRED',
      'NR_ISSUER_SUSPENDED',
      'NR_ISSUER_REVOKED',
      'NR_REPORT_WITHDRAWN',
      'NR_REPORT_NOT_FINAL',
      'NR_SCOPE_MISMATCH',
      'NR_NEGATIVE_LIST',
    ]) {
      expect(byReason[reason], reason).toBeGreaterThan(0);
    }
    // A suspension counts only from the moment it was recorded.
    const [premature] = await rows<{ n: number }>(
      ctx.db,
      sql`select count(*)::integer as n from check_candidates c join recognition_checks k on k.id = c.check_id
          where 'NR_ISSUER_SUSPENDED' = any (c.reasons) and not exists (
            select 1 from certification_events e where e.hospital_id = c.issuing_hospital_id and e.status = 'suspended' and e.recorded_at <= k.created_at)`,
    );
    expect(premature.n).toBe(0);

    const flows = await rows<{ kind: string; n: number }>(
      ctx.db,
      sql`select case when d.receiving_hospital_id = d.issuing_hospital_id then 'same hospital' when i.city = r.city then 'same city'
            when i.province = r.province then 'another city' else 'another province' end as kind, count(*)::integer as n
          from recognition_decisions d join hospitals i on i.id = d.issuing_hospital_id join hospitals r on r.id = d.receiving_hospital_id
          where d.action = 'recognized' group by 1`,
    );
    const flow = Object.fromEntries(flows.map((f) => [f.kind, f.n]));
    expect(flow['another city']).toBeGreaterThan(0.1 * history.recognitions);
    expect(flow['another province']).toBeGreaterThan(50);
    expect(flow['same hospital']).toBeGreaterThan(10);
  });

  it('has its history counted into the reports at once, equal to a recount from the log', async () => {
    const [queued] = await rows<{ n: number }>(ctx.db, sql`select count(*)::integer as n from agg_pending`);
    expect(queued.n).toBe(0);
    ctx.clock.set(fixedNow);
    const admin = bearer(await adminToken(ctx.app));
    const year = await ctx.app.inject({ url: '/v1/reports/savings?from=2025-11-01&to=2026-11-30&groupBy=month', headers: admin });
    const totals = year.json().totals;
    expect(totals.recognitions + totals.sameHospital.recognitions).toBe(first.history!.recognitions);
    expect(totals.yuan).toBeGreaterThan(100_000);
    const month = (await ctx.app.inject({ url: '/v1/reports/declines?groupBy=code', headers: admin })).json();
    expect(month.totals.declines).toBeGreaterThan(10);
    ctx.clock.release();

    const snapshot = async () => {
      const out: Record<string, string[]> = {};
      for (const table of aggregateTables)
        out[table] = (await rows<{ row: string }>(ctx.db, sql`select t::text as row from ${sql.table(table)} t`)).map((r) => r.row).sort();
      return out;
    };
    const counted = await snapshot();
    expect(counted.agg_decisions.length).toBeGreaterThan(100);
    await rebuildAggregates(ctx.db);
    expect(await snapshot()).toEqual(counted);
  });
});

describe('loading the demo, all or nothing', () => {
  it('leaves an empty registry when its history fails part-way, and says so', async () => {
    const ctx = await createTestContext();
    try {
      // The audit trail's counter fails on the 40th decision, well into the history.
      const metrics = createMetrics();
      let decisions = 0;
      const failing: Metrics = {
        ...metrics,
        auditEvents: {
          inc: (labels: { action: string }) => {
            if (labels.action === 'recognition.decision' && ++decisions === 40) throw new Error('the disk is full');
          },
        } as unknown as Metrics['auditEvents'],
      };
      const logged: { level: number; msg: string }[] = [];
      const logger = createLogger('info', { write: (line: string) => logged.push(JSON.parse(line)) });
      await expect(loadDemoDataIfEmpty(ctx.db, ctx.keys.patientKeySecret, logger, fixedNow, { metrics: failing })).rejects.toThrow(
        'the disk is full',
      );
      expect(decisions).toBe(40);
      for (const table of ['hospitals', 'results', 'recognition_checks', 'recognition_decisions', 'certification_events'] as const)
        expect(await tableCount(ctx.db, table), table).toBe(0);
      expect(logged.map((l) => [l.level, l.msg])).toEqual([
        [30, expect.stringMatching(/^Loading the demo province and \d+ days of its history/)],
        [50, 'Loading the demo failed; nothing of it was written (the next start tries again)'],
      ]);
    } finally {
      await ctx.close();
    }
  });
});

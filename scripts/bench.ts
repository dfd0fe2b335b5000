// `npm run bench -- [--duration 10] [--quick] [--log-level warn] [--pool 10] [--out results]`
// Benchmarks the service against a database filled by `npm run generate` (same DATABASE_URL and
// secrets): recognition checks closed- and open-loop, decisions, batch ingest, reports, and in the
// same run the limits (pgbench on the candidate SQL, an empty Fastify route). Exits non-zero on any error.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { DB } from '../src/db/schema.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { seededRandom } from '../src/demo/random.ts';
import { waitForAggregates } from './bench/aggregates.ts';
import { withCpu } from './bench/cpu.ts';
import { capturedCandidateSql, machine, pgbenchScripts, prewarmResults, readMeta, sizes } from './bench/database.ts';
import { closedLoop, mergeSingles, openLoop, runAll, type Measurement, type Request } from './bench/load.ts';
import { benchServiceEnv, pgbench, startChild, type Child } from './bench/processes.ts';
import { benchAdminClientId, benchClientId, benchClientSecret, hospitals, keyFingerprint } from './bench/province.ts';
import { markdown, type BenchReport } from './bench/report.ts';
import { reportRequests } from './bench/reports.ts';
import { batchRequest, checkRequests, collectChecks, type Province, type Receiver } from './bench/workload.ts';
import { run, UsageError } from './run.ts';
import { shuffled, token } from './bench/clients.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      quick: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      pool: { type: 'string', default: '10' },
      out: { type: 'string', default: 'results' },
      // For experiments: a subset of the phases, and extra environment for the service (KEY=VALUE).
      phases: { type: 'string', default: 'checks,rates,decisions,ingest,reports,limits' },
      set: { type: 'string', multiple: true, default: [] },
      // Writes a V8 CPU profile of the service to this directory when it stops.
      profile: { type: 'string' },
      // Experiment: the service's driver prepares every statement (scripts/bench/prepared-statements.ts).
      prepared: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const phases = new Set(values.phases.split(','));
  const unknown = [...phases].filter((p) => !['checks', 'rates', 'decisions', 'ingest', 'reports', 'limits'].includes(p));
  if (unknown.length > 0) throw new UsageError(`unknown phase(s): ${unknown.join(', ')}`);
  const serviceEnv = Object.fromEntries(
    values.set.map((kv) => {
      const at = kv.indexOf('=');
      if (at < 1) throw new UsageError(`--set takes KEY=VALUE (got ${kv})`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
  return {
    phases,
    serviceEnv,
    profile: values.profile,
    prepared: values.prepared,
    quick,
    duration: quick ? 1 : Number(values.duration),
    logLevel: values['log-level'],
    pool: Number(values.pool),
    out: values.out,
    // Quick mode only proves every phase works (CI smoke): fewer and lighter phases.
    connections: quick ? [1, 4, 16] : [1, 4, 16, 64],
    rates: quick ? [100] : [250, 500, 1000],
    receivers: quick ? 3 : 24,
    warmSeconds: quick ? 1 : 5,
    collect: quick ? 100 : 1500,
    batches: quick ? 2 : 20,
    ingestConnections: quick ? [2] : [2, 4],
    reportRepeats: quick ? 3 : 30,
  };
}

async function main(): Promise<number> {
  const opts = options();
  if (!process.env.DATABASE_URL)
    throw new UsageError('DATABASE_URL is not set: the benchmark runs against PostgreSQL filled by `npm run generate`');
  const config = loadConfig();
  const url = config.database.url!;
  const secret = config.patientKeySecret!;
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  const children: Child[] = [];
  const cleanup: (() => void)[] = [];
  try {
    const meta = await readMeta(db);
    if (meta.keyFingerprint !== keyFingerprint(secret))
      throw new UsageError('PATIENT_KEY_SECRET differs from the one the data was generated with');
    // Data generated before a newer migration stays usable: bring the schema up to date first.
    await migrateToLatest(db);
    const prewarmed = opts.quick ? 'not prewarmed (quick)' : await prewarmResults(db, log);
    const province: Province = {
      patients: Number(meta.patients),
      recent: (
        await sql<{ idx: number; item_code: string }>`select idx, item_code from gen_recent order by n limit 20000`.execute(db)
      ).rows.map((r) => ({ idx: r.idx, itemCode: r.item_code })),
    };
    const lookbackDays = (await sql<{ d: number }>`select lookback_days as d from rule_sets order by version desc limit 1`.execute(db))
      .rows[0].d;
    const candidateSql = await capturedCandidateSql(url);
    const report: BenchReport = {
      startedAt: new Date().toISOString(),
      quick: opts.quick,
      durationSeconds: opts.duration,
      machine: await machine(db),
      loadAverage: { before: loadavg(), after: [] },
      data: meta,
      sizes: await sizes(db),
      settings: {
        logLevel: opts.logLevel,
        poolSize: opts.pool,
        lookbackDays,
        preparedStatements: opts.prepared,
        prewarmed,
        serviceEnv: Object.entries(opts.serviceEnv)
          .map(([k, v]) => `${k}=${/SECRET|KEY/.test(k) ? '…' : v}`)
          .join(' '),
      },
      checks: [],
      fixedRate: [],
      recognisableShare: { checks: 0, checkItems: 0, itemsWithRecognisable: 0 },
      decisions: null,
      ingest: [],
      reports: [],
      limits: { pgbench: [], emptyRoute: [] },
      errors: 0,
    };

    log('starting the service…');
    const app = await startChild(
      'src/server.ts',
      { ...benchServiceEnv(url, secret, opts.pool, opts.logLevel), ...opts.serviceEnv },
      '/readyz',
      [
        ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${opts.profile}`] : []),
        ...(opts.prepared ? ['--import', './scripts/bench/prepared-statements.ts'] : []),
      ],
    );
    children.push(app);
    const random = seededRandom(Number(meta.seed) + 1);
    const picked = shuffled(hospitals, random).slice(0, opts.receivers);
    const clientSecret = benchClientSecret(secret);
    const receivers: Receiver[] = await Promise.all(
      picked.map(async (h) => ({
        hospitalId: h.id,
        authorization: `Bearer ${await token(app.origin, benchClientId(h.id), clientSecret)}`,
      })),
    );
    const admin: Receiver = { hospitalId: '', authorization: `Bearer ${await token(app.origin, benchAdminClientId, clientSecret)}` };

    const pool = checkRequests(random, province, receivers, opts.quick ? 2_000 : 20_000);
    const nextCheck = (i: number) => pool[i % pool.length];
    log(`warm-up (${opts.warmSeconds} s)…`);
    await closedLoop(app.origin, 16, opts.warmSeconds, nextCheck, [201]);

    for (const connections of opts.phases.has('checks') ? opts.connections : []) {
      log(`checks, ${connections} connections…`);
      report.checks.push({
        connections,
        ...(await withCpu(db, app.process.pid, () =>
          closedLoop(app.origin, connections, opts.duration, (i) => nextCheck(i + connections * 7919), [201]),
        )),
      });
    }
    for (const rate of opts.phases.has('rates') ? opts.rates : []) {
      log('waiting for the aggregator to count the checks queued so far…');
      const catchUp = await waitForAggregates(db);
      log(`checks, open loop at ${rate}/s…`);
      report.fixedRate.push({
        rate,
        catchUp,
        ...(await openLoop(app.origin, rate, opts.duration, (i) => nextCheck(i + rate * 31), [201])),
      });
    }

    if (opts.phases.has('decisions')) {
      log('decisions…');
      const { share, decisions } = await collectChecks(app.origin, random, province, receivers, opts.collect);
      report.recognisableShare = share;
      const decided = await runAll(
        app.origin,
        16,
        decisions.map((d) => d.request),
        [201],
      );
      const decisionCount = decisions.reduce((sum, d) => sum + d.count, 0);
      report.decisions = { ...decided, decisions: decisionCount, decisionsPerSecond: decisionCount / decided.seconds };
    }

    // Two concurrent batches (a hospital system sending one after another on two channels), then four.
    for (const connections of opts.phases.has('ingest') ? opts.ingestConnections : []) {
      log(`batch ingest, ${connections} connections…`);
      const runId = `${Date.now().toString(36)}-${connections}`;
      const batches = Array.from({ length: opts.batches }, (_, b) =>
        batchRequest(random, province, random.pick(receivers), 1000, `BENCH-${runId}-${b}`, new Date()),
      );
      const ingest = await runAll(app.origin, connections, batches, [200]);
      report.ingest.push({
        ...ingest,
        connections,
        batchSize: 1000,
        batches: opts.batches,
        resultsPerSecond: (opts.batches * 1000) / ingest.seconds,
      });
    }

    log('reports…');
    for (const { name, request } of opts.phases.has('reports') ? await reportRequests(app.origin, admin) : []) {
      // Sequential requests: up to reportRepeats, but at least 5 and at most ~5 s per report.
      const started = performance.now();
      const times: Measurement[] = [];
      for (let k = 0; k < opts.reportRepeats && (k < Math.min(5, opts.reportRepeats) || performance.now() - started < 5_000); k += 1)
        times.push(await runAll(app.origin, 1, [request], [200]));
      report.reports.push({ name, ...mergeSingles(times) });
    }

    log('limits: pgbench on the candidate SQL…');
    const scripts = pgbenchScripts(candidateSql);
    const variables = { npatients: province.patients, nrecent: Math.max(1, Number(meta.recentRows)) };
    cleanup.push(() => rmSync(dirname(scripts[0]), { recursive: true, force: true }));
    for (const clients of opts.phases.has('limits') ? opts.connections : []) {
      report.limits.pgbench.push(await pgbench(url, scripts, clients, opts.duration, variables));
    }
    // The same SQL parsed and planned on every execution, as the service's driver sends it: the difference is what prepared statements would save.
    if (opts.phases.has('limits')) report.limits.pgbench.push(await pgbench(url, scripts, 16, opts.duration, variables, 'extended'));
    log('limits: empty Fastify route…');
    const empty = await startChild('scripts/bench/empty-server.ts', {}, '/ready');
    children.push(empty);
    for (const connections of opts.phases.has('limits') ? opts.connections : []) {
      const emptyPool: Request[] = pool.slice(0, 1000).map((r) => ({ ...r, path: '/empty' }));
      report.limits.emptyRoute.push({
        connections,
        ...(await withCpu(db, empty.process.pid, () =>
          closedLoop(empty.origin, connections, opts.duration, (i) => emptyPool[i % emptyPool.length], [200]),
        )),
      });
    }

    report.loadAverage.after = loadavg();
    const measured: Measurement[] = [
      ...report.checks,
      ...report.fixedRate,
      ...(report.decisions ? [report.decisions] : []),
      ...report.ingest,
      ...report.reports,
      ...report.limits.emptyRoute,
    ];
    report.errors = measured.reduce((sum, m) => sum + m.errors, 0) + report.limits.pgbench.reduce((sum, p) => sum + p.failed, 0);
    for (const m of measured) for (const sample of m.errorSamples) log(`error sample: ${sample}`);
    const text = markdown(report);
    mkdirSync(opts.out, { recursive: true });
    const base = join(opts.out, `bench-${meta.results}-${report.startedAt.replace(/[:.]/g, '-')}${opts.quick ? '-quick' : ''}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${base}.md`, text);
    process.stdout.write(`\n${text}\nWritten: ${base}.json, ${base}.md\n`);
    if (report.errors > 0) log(`${report.errors} request(s) failed`);
    return report.errors > 0 ? 1 : 0;
  } finally {
    for (const child of children.reverse()) await child.stop();
    for (const step of cleanup) step();
    await db.destroy();
  }
}

await run('bench failed', main);

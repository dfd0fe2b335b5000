// `npm run chaos -- --restart "<command>" [--duration 60] [--restarts 3] [--connections 16] [--kill-backends]
//   [--without-idempotency-keys] [--out results/chaos-<time>.json] [--batch-size 50] [--patients 500] [--log-level warn] [--set KEY=VALUE] [--keep-database]`
// A fault run: restarts the PostgreSQL server of DATABASE_URL (with the operator's command) while a
// mixed load of result batches, single results, recognition checks and decisions runs against the
// service, then verifies in the database that every acknowledged write is stored. It works in a
// database of its own (mre_chaos_<pid>, created and dropped on that server). Exits non-zero when an
// acknowledged write is lost, the service died, or a request answered anything but 2xx or 503.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from '../src/db/schema.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { generateSigningJwk } from '../src/modules/auth/index.ts';
import { machine } from './bench/database.ts';
import { startChild } from './bench/processes.ts';
import { plan, recoveries, runFaults } from './chaos/faults.ts';
import { Ledger } from './chaos/ledger.ts';
import { runLoad } from './chaos/load.ts';
import { loadFigures, problems, recoverySummary, summary, type ChaosReport } from './chaos/report.ts';
import { verify } from './chaos/verify.ts';
import { serviceMetrics, status, version } from './chaos/probes.ts';
import { buildWorld, items } from './chaos/world.ts';
import { run, UsageError } from './run.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      restart: { type: 'string' },
      duration: { type: 'string', default: '60' },
      restarts: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      'kill-backends': { type: 'boolean', default: false },
      'without-idempotency-keys': { type: 'boolean', default: false },
      out: { type: 'string' },
      'batch-size': { type: 'string', default: '50' },
      patients: { type: 'string', default: '500' },
      'log-level': { type: 'string', default: 'warn' },
      set: { type: 'string', multiple: true, default: [] },
      'keep-database': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.restart)
    throw new UsageError(
      '--restart "<shell command that restarts the PostgreSQL server of DATABASE_URL>" is required (e.g. "pg_ctlcluster 15 chaos restart")',
    );
  const number = (name: string, value: string, min: number, max: number) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max)
      throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${value})`);
    return parsed;
  };
  const serviceEnv = Object.fromEntries(
    values.set.map((kv) => {
      const at = kv.indexOf('=');
      if (at < 1) throw new UsageError(`--set takes KEY=VALUE (got ${kv})`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
  const startedAt = new Date().toISOString();
  return {
    restart: values.restart,
    duration: number('duration', values.duration, 5, 3_000),
    restarts: number('restarts', values.restarts, 0, 100),
    connections: number('connections', values.connections, 1, 512),
    killBackends: values['kill-backends'],
    idempotencyKeys: !values['without-idempotency-keys'],
    out: values.out ?? `results/chaos-${startedAt.replace(/[:.]/g, '-')}.json`,
    batchSize: number('batch-size', values['batch-size'], 1, 1000),
    patients: number('patients', values.patients, 10, 100_000),
    logLevel: values['log-level'],
    serviceEnv,
    keepDatabase: values['keep-database'],
    startedAt,
  };
}

async function main(): Promise<number> {
  const opts = options();
  if (!process.env.DATABASE_URL)
    throw new UsageError('DATABASE_URL is not set: the PostgreSQL server to restart (a database of its own is created on it)');
  const serverUrl = process.env.DATABASE_URL;
  const database = `mre_chaos_${process.pid}`;
  const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString();
  const runId = Date.now().toString(36);
  const server = new pg.Client({ connectionString: serverUrl, application_name: 'mre-chaos' });
  server.on('error', () => {});
  await server.connect();
  await server.query(`create database ${pg.escapeIdentifier(database)}`);
  await server.end();
  log(`database ${database} created`);
  mkdirSync(dirname(opts.out), { recursive: true });
  const logFile = opts.out.replace(/\.json$/, '') + '.service.log';
  let stopService: (() => Promise<void>) | null = null;
  try {
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
    const facts = await machine(db);
    await migrateToLatest(db);
    await db.destroy();
    log('migrated; starting the service…');

    const adminSecret = randomBytes(18).toString('base64url');
    const settings: Record<string, string> = {
      LOG_LEVEL: opts.logLevel,
      ACCESS_TOKEN_TTL: String(Math.max(900, opts.duration * 2 + 600)),
      DEMO_DATA: 'off',
      // Raised so that the load is never throttled: the run is about faults, not about limits.
      RATE_LIMIT_PER_CLIENT: '10000000',
      RATE_LIMIT_PER_ADDRESS: '10000000',
      RATE_LIMIT_TOKEN_PER_ADDRESS: '10000000',
      AUTH_MAX_FAILURES: '1000',
      ...opts.serviceEnv,
    };
    const app = await startChild(
      'src/server.ts',
      {
        ...settings,
        DATABASE_URL: databaseUrl,
        PATIENT_KEY_SECRET: randomBytes(32).toString('base64url'),
        AUTH_SIGNING_KEY: JSON.stringify(await generateSigningJwk()),
        ADMIN_CLIENT_ID: 'chaos-admin',
        ADMIN_CLIENT_SECRET: adminSecret,
      },
      '/readyz',
    );
    // Everything the service writes goes to the log file, from its first line.
    const sink = createWriteStream(logFile);
    sink.write(app.output());
    app.process.stdout!.on('data', (chunk: Buffer) => sink.write(chunk));
    app.process.stderr!.on('data', (chunk: Buffer) => sink.write(chunk));
    const ledger = new Ledger();
    let stopping = false;
    let died: string | null = null;
    let exit = 'still running';
    app.process.once('exit', (code, signal) => {
      exit = `exited with ${signal ?? `code ${code}`}`;
      // Code 0 is a graceful shutdown: the service received a termination signal (SIGTERM, SIGINT, SIGHUP…).
      const cause = code === 0 ? ' (a graceful shutdown: something sent it a termination signal)' : '';
      if (!stopping) died = `${exit}${cause} at ${(ledger.now() / 1000).toFixed(1)} s of the load`;
    });
    stopService = async () => {
      stopping = true;
      await app.stop();
      await new Promise<void>((resolve) => sink.end(resolve));
    };

    const world = await buildWorld(
      app.origin,
      'chaos-admin',
      adminSecret,
      { hospitals: 4, patients: opts.patients, preloaded: opts.patients * 2, runId },
      log,
    );
    const requestTimeoutMs = Number(settings.REQUEST_TIMEOUT_MS ?? 20_000);
    const events = plan(opts.duration * 1000, opts.restarts, opts.killBackends);
    log(
      `load: ${opts.connections} connections for ${opts.duration} s; faults at ${events.map((e) => `${(e.atMs / 1000).toFixed(1)} s (${e.type})`).join(', ') || 'none'}`,
    );
    ledger.begin();
    const loadOver = () => ledger.now() >= opts.duration * 1000 || died !== null;
    const [, faults] = await Promise.all([
      runLoad(
        app.origin,
        world,
        ledger,
        {
          connections: opts.connections,
          batchSize: opts.batchSize,
          answerTimeoutMs: requestTimeoutMs + 10_000,
          retryPauseMs: 100,
          runId,
          idempotencyKeys: opts.idempotencyKeys,
        },
        loadOver,
      ),
      runFaults(events, ledger, { restart: opts.restart, serverUrl, database }, loadOver, log),
    ]);
    const loadSeconds = ledger.now() / 1000;

    log('load stopped; waiting for the service to be ready…');
    const readyStarted = performance.now();
    let readyAfterMs: number | null = null;
    while (readyAfterMs === null && performance.now() - readyStarted < 30_000 && !died) {
      if ((await status(app.origin, '/readyz')) === 200) readyAfterMs = Math.round(performance.now() - readyStarted);
      else await sleep(200);
    }
    log('verifying against the database…');
    const verification = await verify(databaseUrl, ledger, runId, log);
    const final = { readyAfterMs, readyz: await status(app.origin, '/readyz'), healthz: await status(app.origin, '/healthz') };
    const metrics = died ? {} : await serviceMetrics(app.origin, world.admin);
    await stopService();
    stopService = null;
    const errorLines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => /"level":(50|60)\b/.test(line));

    const report: Omit<ChaosReport, 'ok' | 'problems'> = {
      startedAt: opts.startedAt,
      command: `npm run chaos -- ${process.argv
        .slice(2)
        .map((a) => (/\s/.test(a) ? `"${a}"` : a))
        .join(' ')}`,
      options: {
        durationSeconds: opts.duration,
        restarts: opts.restarts,
        connections: opts.connections,
        killBackends: opts.killBackends,
        idempotencyKeys: opts.idempotencyKeys,
        batchSize: opts.batchSize,
        patients: opts.patients,
        restartCommand: opts.restart,
      },
      machine: facts,
      service: {
        version: version(),
        settings: Object.entries(settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
        logFile,
        diedDuringRun: died,
        exit,
        errorLogLines: errorLines.length,
        errorLogSamples: errorLines.slice(0, 5).map((l) => l.slice(0, 1_000)),
        metrics,
      },
      setup: {
        hospitals: world.hospitals.length,
        items: items.length,
        patients: world.patients.length,
        preloadedResults: opts.patients * 2,
      },
      load: {
        seconds: Math.round(loadSeconds * 10) / 10,
        kinds: loadFigures(ledger),
        transportCodes: ledger.transportCodes,
        malformed503: ledger.malformedCount,
        rejectedBatchItems: ledger.rejectedBatchItems,
        samples: {
          serverErrors: ledger.serverErrors,
          otherStatuses: ledger.otherSamples,
          transport: ledger.transportSamples,
          malformed503: ledger.malformed503,
        },
      },
      faults: recoveries(faults, ledger, loadSeconds * 1000),
      recoverySummary: {},
      verification,
      final,
    };
    report.recoverySummary = recoverySummary(report.faults);
    const found = problems(report);
    const full: ChaosReport = { ...report, ok: found.length === 0, problems: found };
    writeFileSync(opts.out, `${JSON.stringify(full, null, 2)}\n`);
    process.stdout.write(`\n${summary(full)}\nWritten: ${opts.out} (service output: ${logFile})\n`);
    return found.length === 0 ? 0 : 1;
  } finally {
    await stopService?.();
    if (opts.keepDatabase) log(`kept database ${database}`);
    else await dropDatabase(serverUrl, database);
  }
}

/** Drops the run's database, retrying while the server is still coming back from a restart. */
async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const client = new pg.Client({ connectionString: serverUrl, application_name: 'mre-chaos' });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
      log(`database ${database} dropped`);
      return;
    } catch (error) {
      if (attempt >= 10) {
        log(`could not drop database ${database}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      await sleep(1_000);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

await run('Chaos run failed', main);

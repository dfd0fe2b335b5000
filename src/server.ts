import cluster from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.ts';
import { prepareDatabase } from './bootstrap.ts';
import { runWorkers, workerIndex } from './cluster.ts';
import { answerClusterMetrics } from './cluster-metrics.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { ServiceUnavailable } from './errors.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { loadDemoDataIfEmpty } from './demo/load.ts';
import { startAggregator } from './modules/reports/index.ts';
import { startWebhookDelivery } from './modules/webhooks/index.ts';
import { resolveKeys } from './keys.ts';
import { shutdown } from './lifecycle.ts';
import { createLogger } from './logger.ts';
import { createMetrics, serveMetrics, type Metrics } from './metrics.ts';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (cluster.isPrimary && config.workers > 1) {
    // The database is prepared once, here; then the workers serve the port (src/cluster.ts).
    const database = await openDatabase(config.database);
    try {
      await prepareDatabase(database, config, await resolveKeys(config));
    } finally {
      await database.close();
    }
    answerClusterMetrics(logger);
    await runWorkers(config, logger, () => printWelcome(config.publicUrl, config.auth.adminClientId, null, database.kind));
    return;
  }
  await serve(config, logger, { worker: cluster.isWorker, leader: !cluster.isWorker || workerIndex() === 0 });
}

/**
 * One process serving the API: the whole service, or one worker of several. The leader (the only
 * process, or worker 0) also counts the report aggregates and sends webhooks, and serves METRICS_PORT.
 */
async function serve(config: Config, logger: FastifyBaseLogger, role: { worker: boolean; leader: boolean }) {
  const database = await openDatabase(config.database);
  database.events.on('connectionLost', (err) => logger.warn({ err }, 'a database connection broke; the pool replaces it'));
  const keys = await resolveKeys(config);
  // A worker's database was prepared by the primary before it started.
  if (!role.worker) await prepareDatabase(database, config, keys);
  // DEMO_DATA=auto (the default on the embedded database only): an empty registry gets the demo province.
  if (config.demoData) await loadDemoDataIfEmpty(database.db, keys.patientKeySecret, logger);

  const metrics = createMetrics({ clusterWide: role.worker, readsDatabase: role.leader });
  const app = await buildApp({ config, database, logger, clock: () => new Date(), keys, metrics });
  const metricsListener = config.metricsPort === null || !role.leader ? null : await serveMetrics(metrics, config.host, config.metricsPort);
  const background = role.leader ? startBackground(config, database, keys.patientKeySecret, logger, metrics) : [];
  // A worker stops when the primary tells it to (SIGTERM), not on a terminal's Ctrl+C, which reaches
  // the whole process group: the primary forwards it.
  if (role.worker) process.on('SIGINT', () => {});
  closeWithGrace({ delay: config.shutdownGraceMs, skip: role.worker ? ['SIGINT'] : [] }, async ({ signal, err }) => {
    // At warn, so a stop is always traceable to the signal that caused it.
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.warn({ signal }, 'shutting down on a signal');
    await metricsListener?.close();
    await shutdown(app, database, background);
  });
  await app.listen({ host: config.host, port: config.port });
  if (!role.worker)
    printWelcome(
      config.publicUrl,
      config.auth.adminClientId,
      keys.adminClientSecretGenerated ? keys.adminClientSecret : null,
      database.kind,
    );
}

function startBackground(config: Config, database: DatabaseHandle, patientKeySecret: string, logger: FastifyBaseLogger, metrics: Metrics) {
  // The one writer of the report aggregates: counts queued checks and decisions into them. Reports only
  // read, and say how fresh they are (how much is still queued, and the oldest entry's age). Other
  // instances' aggregators find its lock taken and wait for their next tick, holding nothing.
  // A database outage is expected to end (the next run carries on where this one stopped): a warning.
  // It vacuums its queue itself, on a connection without the statement timeout.
  const aggregator = startAggregator(
    database.db,
    config.aggregateIntervalMs,
    (err) =>
      err instanceof ServiceUnavailable
        ? logger.warn({ err }, 'counting the report aggregates waits for the database')
        : logger.error({ err }, 'counting the report aggregates failed'),
    { withoutLimits: database.withoutLimits },
  );
  // Sends queued webhook deliveries (an outbox other modules fill in their transactions), at least once.
  const webhooks = startWebhookDelivery({ db: database.db, listen: database.listen, config, patientKeySecret, logger, metrics });
  return [aggregator, webhooks];
}

function printWelcome(url: string, adminId: string, adminSecret: string | null, kind: string) {
  const lines = [
    '',
    `Mutual Recognition Exchange is listening on ${url} (database: ${kind})`,
    `  API docs:     ${url}/docs`,
    `  OpenAPI:      ${url}/openapi.json`,
    `  Dashboard:    ${url}/dashboard`,
  ];
  // The generated embedded-mode secret is shown so a newcomer can start; a configured one never is.
  lines.push(
    '  Administrator token:',
    // Double quotes, so that the $ADMIN_CLIENT_SECRET placeholder expands when pasted (generated secrets are base64url).
    `    curl -s -u "${adminId}:${adminSecret ?? '$ADMIN_CLIENT_SECRET'}" -d grant_type=client_credentials ${url}/v1/oauth/token`,
  );
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

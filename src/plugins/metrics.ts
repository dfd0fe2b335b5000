import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sharedWhileInFlight, within } from '../db/connection-tools.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { FaultKind } from '../db/faults.ts';
import type { Metrics } from '../metrics.ts';
import { queueLag } from '../modules/reports/index.ts';
import { deliveryBacklog } from '../modules/webhooks/index.ts';

export interface MetricsPluginOptions {
  metrics: Metrics;
  database: DatabaseHandle;
  clock: () => Date;
}

/** A scrape never waits long on the database: a gauge it cannot read is left out of that scrape. */
const scrapeQueryTimeoutMs = 1_000;

/** Feeds the registry: request latency per route, database faults and pool use, the aggregator's lag, the webhook backlog. */
async function metricsPlugin(app: FastifyInstance, { metrics, database, clock }: MetricsPluginOptions) {
  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const onFault = (kind: FaultKind) =>
    kind === 'busy' ? metrics.shed.inc({ reason: 'database-pool' }) : metrics.databaseFaults.inc({ kind });
  const onLost = () => metrics.connectionsLost.inc();
  database.events.on('fault', onFault);
  database.events.on('connectionLost', onLost);
  app.addHook('onClose', async () => {
    database.events.off('fault', onFault);
    database.events.off('connectionLost', onLost);
  });

  metrics.gauge(
    'mre_database_pool_connections',
    'Database pool: connections open and idle, requests waiting for one, and the maximum',
    ['state'],
    (gauge) => {
      const stats = database.poolStats();
      for (const state of ['max', 'open', 'idle', 'waiting'] as const) gauge.set({ state }, stats[state]);
    },
  );
  const lag = sharedWhileInFlight(() =>
    within(scrapeQueryTimeoutMs, queueLag(database.db, clock()), () => new Error('the aggregator queue did not answer in time')),
  );
  metrics.gauge(
    'mre_aggregator_queue_items',
    'Checks and decisions recorded but not yet counted into the report aggregates',
    [],
    async (gauge) => {
      gauge.set((await lag()).items);
    },
    'database',
  );
  metrics.gauge(
    'mre_aggregator_queue_oldest_seconds',
    'Age of the oldest check or decision not yet counted into the report aggregates',
    [],
    async (gauge) => {
      gauge.set((await lag()).oldestSeconds);
    },
    'database',
  );
  const backlog = sharedWhileInFlight(() =>
    within(scrapeQueryTimeoutMs, deliveryBacklog(database.db, clock()), () => new Error('the webhook outbox did not answer in time')),
  );
  metrics.gauge(
    'mre_webhook_deliveries_due',
    'Webhook deliveries due and not yet sent (of enabled endpoints)',
    [],
    async (gauge) => {
      gauge.set((await backlog()).due);
    },
    'database',
  );
  metrics.gauge(
    'mre_webhook_deliveries_oldest_due_seconds',
    'How long the longest-waiting due webhook delivery has waited to be sent',
    [],
    async (gauge) => {
      gauge.set((await backlog()).oldestSeconds);
    },
    'database',
  );
}

export default fp(metricsPlugin, { name: 'metrics' });

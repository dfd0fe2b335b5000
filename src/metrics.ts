import { createServer } from 'node:http';
import { once } from 'node:events';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { clusterMetricsOf } from './cluster-metrics.ts';

/**
 * What an operator watches, in Prometheus' text format (GET /metrics). One registry per app, so
 * several apps in one process (the tests) never share counts. Gauges that need the database
 * (pool, the aggregator's queue) are read when scraped; see README "Operations" for the alerts.
 * `readsDatabase: false` (a worker other than the leader) leaves out the gauges of the database as a
 * whole: the leader reads them for every worker, so a scrape queries the database once, not once per
 * worker.
 */
export function createMetrics(options: { clusterWide?: boolean; readsDatabase?: boolean } = {}) {
  const { readsDatabase = true } = options;
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'mre_' });
  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text: this process's metrics, or with `clusterWide` (a worker of several) every worker's together. */
    text: options.clusterWide ? clusterMetricsOf(registry) : () => registry.metrics(),
    requestDuration: new Histogram({
      name: 'mre_http_request_duration_seconds',
      help: 'Time to answer a request, by route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    }),
    shed: new Counter({
      name: 'mre_shed_requests_total',
      help: 'Requests refused with 503 before any work: event loop lagging, too many waiting for the database pool, shutting down',
      labelNames: ['reason'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'mre_rate_limited_requests_total',
      help: 'Requests refused with 429: per client, per source address, token endpoint, locked-out authentication',
      labelNames: ['limit'] as const,
      registers,
    }),
    databaseFaults: new Counter({
      name: 'mre_database_faults_total',
      help: 'Requests that met a database outage (unavailable) or a statement or lock timeout (timeout); each answered 503',
      labelNames: ['kind'] as const,
      registers,
    }),
    connectionsLost: new Counter({
      name: 'mre_database_connections_lost_total',
      help: 'Pooled or listening database connections that broke (the pool replaces them)',
      registers,
    }),
    auditEvents: new Counter({
      name: 'mre_audit_events_total',
      help: 'Audit events recorded, by action and outcome (success, refused, failed)',
      labelNames: ['action', 'outcome'] as const,
      registers,
    }),
    sharedStatementChecks: new Histogram({
      name: 'mre_shared_statement_checks',
      help: "How many recognition checks one shared statement served: the check's read, and its write (one commit)",
      labelNames: ['statement'] as const,
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64],
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'mre_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retried (due again after a back-off), failed (no attempts left)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookAttemptDuration: new Histogram({
      name: 'mre_webhook_attempt_duration_seconds',
      help: 'Time for one webhook delivery attempt, from sending to the answer (or the time-out), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    /**
     * A gauge read when scraped; one that cannot be read (the database is down) is NaN in that
     * scrape. `of`: whose value it is. A process's own (its pool) is summed over the workers; the
     * database's (a queue's length) is read by the leader alone and shown once. Null where it is not
     * registered.
     */
    gauge: (
      name: string,
      help: string,
      labelNames: readonly string[],
      read: (gauge: Gauge) => Promise<void> | void,
      of: 'process' | 'database' = 'process',
    ): Gauge | null =>
      of === 'database' && !readsDatabase
        ? null
        : new Gauge({
            name,
            help,
            labelNames,
            registers,
            aggregator: of === 'process' ? 'sum' : 'first',
            async collect() {
              try {
                await read(this);
              } catch {
                // Not 0, which would read as an empty queue: a gauge without labels says NaN, one with
                // labels has no series in this scrape.
                this.reset();
                if (labelNames.length === 0) this.set(Number.NaN);
              }
            },
          }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * METRICS_PORT: GET /metrics without authentication on a listener of its own, for a Prometheus that
 * reaches the instance over a private network (never expose this port publicly).
 */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<{ close(): Promise<void> }> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: only GET /metrics is served here\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('The metrics could not be collected\n'),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

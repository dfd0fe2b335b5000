import { EventEmitter } from 'node:events';
import { CompiledQuery, Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { asNumber, asNumbers, asText, once, typeOids, within } from './connection-tools.ts';
import { citusInstalled } from './citus.ts';
import type { DatabaseEvents, DatabaseHandle, Prepared } from './database.ts';
import { faultKind, unavailable, type FaultKind } from './faults.ts';
import { listenOnPostgres } from './postgres-listen.ts';
import type { DB } from './schema.ts';

/** How long anything may wait on PostgreSQL. 0 switches a timeout off (maintenance scripts). */
export interface PostgresLimits {
  /** Opening a new connection (TCP and start-up). */
  connectTimeoutMs: number;
  /** Waiting for a pooled connection when all are in use. */
  acquireTimeoutMs: number;
  /** The server's statement_timeout; the client gives up on a silent server shortly after it. */
  statementTimeoutMs: number;
  /** The server's lock_timeout. */
  lockTimeoutMs: number;
  /** Requests allowed to wait for a pooled connection; beyond it they are shed at once. */
  maxWaiting: number;
}

export const maintenanceLimits: PostgresLimits = {
  connectTimeoutMs: 30_000,
  acquireTimeoutMs: 0,
  statementTimeoutMs: 0,
  lockTimeoutMs: 0,
  maxWaiting: Infinity,
};

/**
 * A server that answers nothing (hung, or cut off without a reset) does not trip its own
 * statement_timeout: the client waits this much longer, then destroys the connection.
 */
const silentServerGraceMs = 2_000;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === typeOids.int8 || oid === typeOids.numeric) return asNumber;
    if (oid === typeOids.date) return asText;
    if (oid === typeOids.int8Array) return asNumbers;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** How the service's connections name themselves to PostgreSQL (pg_stat_activity.application_name). */
export const applicationName = 'mutual-recognition-exchange';

function poolConfig(url: string, max: number, limits: PostgresLimits): pg.PoolConfig {
  const bounded = limits.statementTimeoutMs > 0;
  return {
    connectionString: url,
    max,
    types,
    keepAlive: true,
    application_name: applicationName,
    // pg-pool uses connectionTimeoutMillis for waiting on a busy pool; each new client gets its own for connecting.
    connectionTimeoutMillis: limits.acquireTimeoutMs,
    Client: class extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super({ ...config, connectionTimeoutMillis: limits.connectTimeoutMs });
      }
    },
    ...(bounded
      ? { statement_timeout: limits.statementTimeoutMs, idle_in_transaction_session_timeout: 4 * limits.statementTimeoutMs }
      : {}),
    ...(limits.lockTimeoutMs > 0 ? { lock_timeout: limits.lockTimeoutMs } : {}),
  };
}

export function openPostgres(url: string, poolSize: number, limits: PostgresLimits): DatabaseHandle {
  const events = new EventEmitter<DatabaseEvents>();
  const pool = new pg.Pool(poolConfig(url, poolSize, limits));
  const connectionLost = (error: Error) => events.emit('connectionLost', error);
  // A broken connection emits 'error' on its client. Idle clients are the pool's (it discards them
  // and re-emits on itself); a client in use needs its own listener, or the event kills the process.
  pool.on('error', connectionLost);
  pool.on('connect', (client) => client.on('error', connectionLost));

  const guarded = guardedPool(pool, limits, (kind, error) => events.emit('fault', kind, error));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: guarded }) });
  const prepared: Prepared = async <R>(name: string, query: CompiledQuery<R>) => {
    const client = await guarded.connect();
    try {
      return (await client.query({ name, text: query.sql, values: [...query.parameters] })).rows as R[];
    } finally {
      client.release();
    }
  };
  // Asked once it succeeds; a failed look-up (the database unreachable) is asked again next time.
  let citus: Promise<boolean> | undefined;
  return {
    db,
    kind: 'postgres',
    prepared,
    citus: () => (citus ??= citusInstalled(db).catch((error: unknown) => ((citus = undefined), Promise.reject(error)))),
    listen: (channel, onMessage, onListening) =>
      listenOnPostgres({ url, limits, channel, onMessage, onListening, onError: connectionLost }),
    ping: async (timeoutMs) => {
      await within(timeoutMs, prepared('ping', CompiledQuery.raw('select 1')), () => unavailable('timeout', null));
    },
    withoutLimits: async (work) => {
      const maintenance = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool(poolConfig(url, 1, maintenanceLimits)) }) });
      try {
        return await work(maintenance);
      } finally {
        await maintenance.destroy();
      }
    },
    poolStats: () => ({ max: poolSize, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    events,
    close: once(() => db.destroy()),
  };
}

type GuardedClient = PostgresPoolClient & { query(config: pg.QueryConfig): Promise<pg.QueryResult> };

/**
 * The pool as Kysely and the prepared statements see it: sheds a request at once when too many
 * already wait for a connection, gives up on a server that stays silent past its statement timeout
 * (destroying that connection, which the pool then replaces), and turns every outage into a 503
 * problem (src/db/faults.ts) so no request waits without bound and none answers 500 for an outage.
 */
function guardedPool(pool: pg.Pool, limits: PostgresLimits, onFault: (kind: FaultKind, error: unknown) => void) {
  const deadlineMs = limits.statementTimeoutMs > 0 ? limits.statementTimeoutMs + silentServerGraceMs : 0;
  const guards = new WeakMap<pg.PoolClient, GuardedClient>();

  const fail = (kind: FaultKind, error: unknown): never => {
    onFault(kind, error);
    throw unavailable(kind, error);
  };
  const rethrow = (error: unknown): never => {
    const kind = faultKind(error);
    if (kind) fail(kind, error);
    throw error;
  };

  function guard(client: pg.PoolClient): GuardedClient {
    const known = guards.get(client);
    if (known) return known;
    const query = async (...args: unknown[]) => {
      let silent = false;
      const timer = deadlineMs > 0 ? setTimeout(() => ((silent = true), destroy(client)), deadlineMs) : undefined;
      try {
        return await (client.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args);
      } catch (error) {
        return silent ? fail('timeout', error) : rethrow(error);
      } finally {
        clearTimeout(timer);
      }
    };
    const guarded = {
      query,
      release: (destroyIt?: boolean) => client.release(destroyIt),
      // Kysely cancels a query (pg_cancel_backend) by its backend's process id.
      get processID() {
        return (client as unknown as { processID?: number }).processID;
      },
    } as unknown as GuardedClient;
    guards.set(client, guarded);
    return guarded;
  }

  return {
    async connect(): Promise<GuardedClient> {
      // Only a request that would have to wait counts against the bound.
      const wouldWait = pool.idleCount === 0 && pool.totalCount >= pool.options.max;
      if (wouldWait && pool.waitingCount >= limits.maxWaiting) fail('busy', null);
      try {
        return guard(await pool.connect());
      } catch (error) {
        return rethrow(error);
      }
    },
    end: () => pool.end(),
    // What Kysely needs to open a control connection that cancels a query.
    options: pool.options,
    Client: pg.Client,
  } satisfies PostgresPool;
}

/** Cuts a connection whose server went silent: its pending query fails and the pool drops it. */
function destroy(client: pg.PoolClient): void {
  (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
}

import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';
import { PGliteDialect } from './pglite-dialect.ts';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'embedded';
  /**
   * Runs a compiled query as a named prepared statement (PostgreSQL plans it once per connection):
   * for the few statements on the hot path. The name must always go with the same SQL text.
   */
  prepared: Prepared;
  /**
   * Calls `onMessage` with the payload of each NOTIFY on `channel`, from any session, and
   * `onListening` when listening starts (true) or notifications may be missed (false: the listening
   * connection broke; it reconnects). Returns a function that stops listening.
   */
  listen(channel: string, onMessage: (payload: string) => void, onListening: (listening: boolean) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export type Prepared = <R>(name: string, query: CompiledQuery<R>) => Promise<R[]>;

/**
 * One decision for both drivers: int8 (counts, sums) and numeric (yuan, mSv) come back as JS numbers,
 * `date` as its 'YYYY-MM-DD' text. Counts stay far below 2^53 and money is rounded to fen.
 */
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const asNumber = (value: string) => Number(value);
const asText = (value: string) => value;

export interface DatabaseOptions {
  url: string | null;
  poolSize: number;
  /** Embedded only: a directory, or 'memory'. */
  dataDir: string;
}

/** Told when an idle pooled connection breaks (a server restart, a network cut); the pool replaces it. */
export type IdleConnectionError = (error: Error) => void;

export async function openDatabase(options: DatabaseOptions, onIdleError: IdleConnectionError = () => {}): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.poolSize, onIdleError);
  return openEmbedded(options.dataDir);
}

function openPostgres(url: string, poolSize: number, onIdleError: IdleConnectionError): DatabaseHandle {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8 || oid === NUMERIC) return asNumber;
      if (oid === DATE) return asText;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: types as pg.CustomTypesConfig });
  // Without a listener, an idle client's error (e.g. 57P01 when PostgreSQL restarts) is re-emitted by
  // the pool as an unhandled 'error' event and kills the process. The pool discards that client anyway.
  pool.on('error', onIdleError);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const prepared: Prepared = async <R>(name: string, query: CompiledQuery<R>) =>
    (await pool.query<R & pg.QueryResultRow>({ name, text: query.sql, values: [...query.parameters] })).rows;
  const listen: DatabaseHandle['listen'] = (channel, onMessage, onListening) => listenOnPostgres(url, channel, onMessage, onListening, onIdleError);
  return { db, kind: 'postgres', prepared, listen, close: once(() => db.destroy()) };
}

/**
 * A dedicated connection for LISTEN. When it breaks, `onListening(false)` (notifications may be
 * missed from then on) and a reconnection every second until it listens again: `onListening(true)`.
 */
async function listenOnPostgres(
  url: string,
  channel: string,
  onMessage: (payload: string) => void,
  onListening: (listening: boolean) => void,
  onError: IdleConnectionError,
) {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    if (!stopped) retry = setTimeout(() => connect().catch(reconnectLater), 1_000);
  };
  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    let lost = false;
    const lose = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (error) onError(error);
      if (client === next) {
        client = null;
        onListening(false);
      }
      next.end().catch(() => {});
      if (client === null) reconnectLater();
    };
    next.on('notification', (n) => n.channel === channel && onMessage(n.payload ?? ''));
    next.on('error', lose);
    next.on('end', () => lose());
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost = true;
      next.end().catch(() => {});
      throw error;
    }
    if (stopped) return void (await next.end());
    client = next;
    onListening(true);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end();
  };
}

async function openEmbedded(dataDir: string): Promise<DatabaseHandle> {
  const inMemory = dataDir === 'memory';
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : `${dataDir}/pgdata`, {
    parsers: { [INT8]: asNumber, [NUMERIC]: asNumber, [DATE]: asText },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  // One session, one plan cache: the embedded database runs the statement as it is.
  const prepared: Prepared = async <R>(_name: string, query: CompiledQuery<R>) => (await db.executeQuery(query)).rows;
  return {
    db,
    kind: 'embedded',
    prepared,
    // The single session: LISTEN is issued while holding it, so it never lands inside a transaction.
    listen: async (channel, onMessage, onListening) => {
      const unlisten = await db.connection().execute(() => pglite.listen(channel, onMessage));
      onListening(true);
      return () => db.connection().execute(() => unlisten());
    },
    close: once(async () => {
      await db.destroy();
      await pglite.close();
    }),
  };
}

function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}

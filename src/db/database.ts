import type { EventEmitter } from 'node:events';
import type { CompiledQuery, Kysely } from 'kysely';
import type { DB } from './schema.ts';
import { openEmbedded } from './embedded.ts';
import type { FaultKind } from './faults.ts';
import { openPostgres, type PostgresLimits } from './postgres.ts';

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
  /**
   * Whether the database is a Citus coordinator (the `citus` extension is installed): writes a Citus
   * table routes by its key are then made one per key (docs/scaling.md). Asked once, when first needed.
   */
  citus(): Promise<boolean>;
  /** Answers once the database runs a trivial statement; a 503 problem when it cannot within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Runs `work` with no statement or lock timeout (migrations, rebuilds), on a connection of its own. */
  withoutLimits<T>(work: (db: Database) => Promise<T>): Promise<T>;
  /** Connections of the pool: open, idle, and requests waiting for one. */
  poolStats(): PoolStats;
  /** 'fault' (kind, error): a database outage seen by a request; 'connectionLost' (error): a pooled or listening connection broke. */
  events: EventEmitter<DatabaseEvents>;
  close(): Promise<void>;
}

export interface DatabaseEvents {
  fault: [kind: FaultKind, error: unknown];
  connectionLost: [error: Error];
}

export interface PoolStats {
  max: number;
  open: number;
  idle: number;
  waiting: number;
}

export type Prepared = <R>(name: string, query: CompiledQuery<R>) => Promise<R[]>;

export interface DatabaseOptions {
  url: string | null;
  poolSize: number;
  /** Embedded only: a directory, or 'memory'. */
  dataDir: string;
  /** PostgreSQL only: how long anything may wait (src/db/postgres.ts). */
  limits: PostgresLimits;
}

/** Embedded only: start from this dump of a data directory (PGlite's dumpDataDir) instead of an empty database. */
export interface OpenOptions {
  embeddedSnapshot?: Blob;
}

export async function openDatabase(options: DatabaseOptions, open: OpenOptions = {}): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.poolSize, options.limits);
  return openEmbedded(options.dataDir, open.embeddedSnapshot);
}

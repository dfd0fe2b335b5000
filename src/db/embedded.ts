import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely } from 'kysely';
import { asNumber, asNumbers, asText, once, typeOids, within } from './connection-tools.ts';
import type { DatabaseEvents, DatabaseHandle, Prepared } from './database.ts';
import { unavailable } from './faults.ts';
import { migrateToLatest } from './migrator.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { DB } from './schema.ts';

/**
 * PostgreSQL compiled to WebAssembly, in the process: one session, so the dialect hands it to one
 * holder at a time. Nothing here can lose a connection; a ping waits its turn behind the session's
 * current holder and gives up after its timeout.
 */
export async function openEmbedded(dataDir: string, snapshot?: Blob): Promise<DatabaseHandle> {
  const inMemory = dataDir === 'memory';
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(inMemory ? undefined : `${dataDir}/pgdata`, {
    parsers: { [typeOids.int8]: asNumber, [typeOids.numeric]: asNumber, [typeOids.date]: asText, [typeOids.int8Array]: asNumbers },
    ...(snapshot ? { loadDataDir: snapshot } : {}),
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  // One session, one plan cache: the embedded database runs the statement as it is.
  const prepared: Prepared = async <R>(_name: string, query: CompiledQuery<R>) => (await db.executeQuery(query)).rows;
  return {
    db,
    kind: 'embedded',
    prepared,
    citus: async () => false,
    // The single session: LISTEN is issued while holding it, so it never lands inside a transaction.
    listen: async (channel, onMessage, onListening) => {
      const unlisten = await db.connection().execute(() => pglite.listen(channel, onMessage));
      onListening(true);
      return () => db.connection().execute(() => unlisten());
    },
    ping: async (timeoutMs) => {
      await within(timeoutMs, db.executeQuery(CompiledQuery.raw('select 1')), () => unavailable('timeout', null));
    },
    withoutLimits: (work) => work(db),
    poolStats: () => ({ max: 1, open: 1, idle: 1, waiting: 0 }),
    events: new EventEmitter<DatabaseEvents>(),
    close: once(async () => {
      await db.destroy();
      await pglite.close();
    }),
  };
}

/**
 * A migrated, empty embedded database as a dump of its data directory, to start others from with
 * `openDatabase(…, { embeddedSnapshot })`: the tests migrate once per run instead of once per file.
 */
export async function migratedSnapshot(): Promise<Blob> {
  const pglite = await PGlite.create();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    return await pglite.dumpDataDir('none');
  } finally {
    await db.destroy();
    await pglite.close();
  }
}

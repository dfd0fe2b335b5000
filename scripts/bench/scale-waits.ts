// What the database did through a bench:scale step: the WAL the checks wrote and how many shared a
// flush (pg_stat_wal), and what the service's PostgreSQL connections were doing, sampled from
// pg_stat_activity: on a core, waiting for the WAL (a commit's flush, or another backend's), waiting for
// a lock (advisory ones included), waiting on something else, or idle (waiting for the service). The
// means say where a step's time went on the database side: the 16-core finding saw WALWrite waits rise
// and idle workers queued on the aggregator's advisory lock, and this shows both on any machine.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { applicationName } from '../../src/db/postgres.ts';

/** The mean number of the service's connections in each state over a step. */
export interface BackendStates {
  samples: number;
  cpu: number;
  wal: number;
  lock: number;
  other: number;
  idle: number;
}

export type BackendState = Exclude<keyof BackendStates, 'samples'>;

/** One connection's state from its pg_stat_activity row. */
export function backendState(row: { state: string | null; wait_event_type: string | null; wait_event: string | null }): BackendState {
  if (row.state !== 'active') return 'idle';
  if (row.wait_event_type === null) return 'cpu';
  if (row.wait_event?.startsWith('WAL')) return 'wal';
  if (row.wait_event_type === 'Lock') return 'lock';
  return 'other';
}

/** The means of a list of samples, each the states of the connections at one instant. */
export function meanStates(samples: readonly BackendState[][]): BackendStates {
  const totals = { cpu: 0, wal: 0, lock: 0, other: 0, idle: 0 };
  for (const sample of samples) for (const state of sample) totals[state] += 1;
  const mean = (n: number) => (samples.length === 0 ? 0 : Math.round((n / samples.length) * 100) / 100);
  return {
    samples: samples.length,
    cpu: mean(totals.cpu),
    wal: mean(totals.wal),
    lock: mean(totals.lock),
    other: mean(totals.other),
    idle: mean(totals.idle),
  };
}

/** Samples the service's connections every `everyMs` on a connection of its own until stopped. */
export async function sampleBackends(url: string, everyMs = 20): Promise<{ stop: () => Promise<BackendStates> }> {
  const client = new pg.Client({ connectionString: url, application_name: 'mre-bench-sampler' });
  await client.connect();
  const samples: BackendState[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null }>(
        'select state, wait_event_type, wait_event from pg_stat_activity where application_name = $1',
        [applicationName],
      );
      samples.push(rows.map(backendState));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return meanStates(samples);
    },
  };
}

/** The server's WAL so far (pg_stat_wal, the whole server): bytes written and flushes. */
export async function walSoFar(db: Kysely<any>): Promise<{ bytes: number; flushes: number }> {
  const { rows } = await sql<{ bytes: string | number; flushes: string | number }>`
    select wal_bytes as bytes, wal_sync as flushes from pg_stat_wal`.execute(db);
  return { bytes: Number(rows[0].bytes), flushes: Number(rows[0].flushes) };
}

/** What a step's checks cost the WAL: kilobytes a check (their writes and the aggregator's counting), and checks a flush. */
export function walPerCheck(before: { bytes: number; flushes: number }, after: { bytes: number; flushes: number }, checks: number) {
  const flushes = after.flushes - before.flushes;
  return {
    kilobytesPerCheck: checks === 0 ? 0 : Math.round(((after.bytes - before.bytes) / 1024 / checks) * 100) / 100,
    checksPerFlush: flushes === 0 ? 0 : Math.round((checks / flushes) * 100) / 100,
  };
}

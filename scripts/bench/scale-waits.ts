// What the service's PostgreSQL connections did through a bench:scale step, sampled from
// pg_stat_activity: on a core, waiting for the WAL (a commit's flush, or another backend's), waiting for
// a lock (advisory ones included), waiting on something else, or idle (waiting for the service). The
// means say where a step's time went on the database side: the 16-core finding saw WALWrite waits rise
// and idle workers queued on the aggregator's advisory lock, and this shows both on any machine.
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

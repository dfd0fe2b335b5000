// After the load: what the database holds, read directly, against what the service acknowledged.
// An acknowledged write that is missing is lost (the run fails). A row nobody acknowledged is
// explained when an attempt of its request answered 503 or was cut in transport (the commit went
// through but the answer did not: possible, and reported), unexplained otherwise.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Ledger } from './ledger.ts';

export interface KindCheck {
  acknowledged: number;
  stored: number;
  /** Acknowledged but not stored (or stored under another id). */
  lost: number;
  lostSamples: string[];
  /** Writes with an attempt answered 503 or cut, later acknowledged by a retry. */
  retriedThenAcknowledged: number;
  /** Writes with an attempt answered 503 or cut and never acknowledged: stored anyway, or not. */
  failedNeverAcknowledged: { stored: number; notStored: number };
  /** Rows no acknowledgement names whose request had a failed attempt (a commit whose answer was lost). */
  storedUnacknowledgedExplained: number;
  /** Rows no acknowledgement names and no failed attempt explains. */
  storedUnacknowledgedUnexplained: number;
}

export interface Verification {
  results: KindCheck;
  checks: KindCheck;
  decisions: KindCheck;
  /** Stored checks without their audit event, stored results without their first version: half-written. */
  halfWritten: { checksWithoutAudit: number; resultsWithoutVersion: number };
  /** The report aggregates against the log, once the aggregator's queue is empty. */
  aggregates: {
    queueDrained: boolean;
    queued: number;
    checkItems: [number, number];
    recognitions: [number, number];
    declines: [number, number];
  };
}

const blank = (): KindCheck => ({
  acknowledged: 0,
  stored: 0,
  lost: 0,
  lostSamples: [],
  retriedThenAcknowledged: 0,
  failedNeverAcknowledged: { stored: 0, notStored: 0 },
  storedUnacknowledgedExplained: 0,
  storedUnacknowledgedUnexplained: 0,
});

/**
 * `acked`: id → tag of every acknowledged row; `stored`: the rows in the database with their tag;
 * `failed`: the tags of requests with an attempt answered 503 or cut in transport. A tag names one
 * logical write and its retries: an accession number, a check's practitioner id, a decided check.
 */
function compare(acked: Map<string, string>, stored: { id: string; tag: string }[], failed: Set<string>): KindCheck {
  const check = blank();
  const storedTags = new Map(stored.map((row) => [row.id, row.tag]));
  check.acknowledged = acked.size;
  check.stored = stored.length;
  for (const [id, tag] of acked) {
    if (storedTags.get(id) === tag) continue;
    check.lost += 1;
    if (check.lostSamples.length < 10) check.lostSamples.push(`${tag} → ${id}`);
  }
  for (const { id, tag } of stored) {
    if (acked.has(id)) continue;
    if (failed.has(tag)) check.storedUnacknowledgedExplained += 1;
    else check.storedUnacknowledgedUnexplained += 1;
  }
  const ackedTags = new Set(acked.values());
  const anyStored = new Set(stored.map((row) => row.tag));
  for (const tag of failed) {
    if (ackedTags.has(tag)) check.retriedThenAcknowledged += 1;
    else if (anyStored.has(tag)) check.failedNeverAcknowledged.stored += 1;
    else check.failedNeverAcknowledged.notStored += 1;
  }
  return check;
}

export async function verify(databaseUrl: string, ledger: Ledger, runId: string, log: (line: string) => void): Promise<Verification> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'mre-chaos' });
  client.on('error', () => {});
  await client.connect();
  try {
    const rows = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await client.query<R>(text, values)).rows;
    type Row = { id: string; tag: string };
    const results = await rows<Row>(
      `select id::text, accession_no as tag from results where accession_no like $1 or accession_no like $2`,
      [`PUT-${runId}-%`, `BATCH-${runId}-%`],
    );
    const checks = await rows<Row>(`select id::text, practitioner_id as tag from recognition_checks where practitioner_id like $1`, [
      `CK-${runId}-%`,
    ]);
    const decisions = await rows<Row>(`select id::text, check_id::text as tag from recognition_decisions`);
    const byId = (map: Map<string, string>) => new Map([...map].map(([tag, id]) => [id, tag]));
    const [half] = await rows<{ audit: number; versions: number }>(
      `select (select count(*)::int from recognition_checks c where not exists (select 1 from audit_events a where a.check_id = c.id)) as audit,
              (select count(*)::int from results r where not exists (select 1 from result_versions v where v.result_id = r.id)) as versions`,
    );
    return {
      results: compare(byId(ledger.results), results, ledger.failedResults),
      checks: compare(ledger.checks, checks, ledger.failedChecks),
      decisions: compare(ledger.decisions, decisions, ledger.failedDecisions),
      halfWritten: { checksWithoutAudit: half.audit, resultsWithoutVersion: half.versions },
      aggregates: await aggregates(rows, log),
    };
  } finally {
    await client.end().catch(() => {});
  }
}

type Rows = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

/** Waits (up to 30 s) for the aggregator to empty its queue, then compares its counts with the log. */
async function aggregates(rows: Rows, log: (line: string) => void): Promise<Verification['aggregates']> {
  let queued = Number.POSITIVE_INFINITY;
  for (let waited = 0; waited <= 30_000 && queued > 0; waited += 250) {
    queued = (await rows<{ n: number }>(`select count(*)::int as n from agg_pending`))[0].n;
    if (queued > 0) await sleep(250);
  }
  if (queued > 0) log(`  the aggregator's queue still holds ${queued} entries after 30 s`);
  const [r] = await rows<{ items: number; agg_items: number; rec: number; agg_rec: number; dec: number; agg_dec: number }>(`
    select (select count(*)::int from check_items) as items,
           (select coalesce(sum(check_items), 0)::int from agg_check_items) as agg_items,
           (select count(*)::int from recognition_decisions where action = 'recognized') as rec,
           (select coalesce(sum(recognitions), 0)::int from agg_decisions) as agg_rec,
           (select count(*)::int from recognition_decisions where action = 'declined') as dec,
           (select coalesce(sum(declines), 0)::int from agg_decisions) as agg_dec`);
  return {
    queueDrained: queued === 0,
    queued,
    checkItems: [r.items, r.agg_items],
    recognitions: [r.rec, r.agg_rec],
    declines: [r.dec, r.agg_dec],
  };
}

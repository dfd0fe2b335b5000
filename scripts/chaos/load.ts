// The chaos run's mixed closed loop: each connection sends its next request when the previous one is
// answered, cycling through result batches, single PUT results, recognition checks and decisions on
// the candidates of checks made earlier. A write answered 503 (or lost in transport) is sent again,
// unchanged, after a short pause, as a client honouring the outage would (results are idempotent by
// accession number, decisions by candidate; a retried check is a new check): the pause is kept short
// instead of the advertised Retry-After so that recovery is measured to within it. Batches, checks and
// decisions carry an Idempotency-Key (one per logical request, kept by its retries) unless told not to:
// a retry then replays a first answer that was committed but lost, and a 409 for a key whose first
// request is still being answered is retried like a 503.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { Kind, Ledger } from './ledger.ts';
import { recentInstant, submission, type Hospital, type World } from './world.ts';

export interface LoadOptions {
  connections: number;
  batchSize: number;
  /** The client gives up on a request after this long: a hang past the service's own bounds. */
  answerTimeoutMs: number;
  retryPauseMs: number;
  runId: string;
  idempotencyKeys: boolean;
}

interface Attempt {
  kind: Kind;
  method: 'PUT' | 'POST';
  path: string;
  authorization: string;
  body: string;
  /** What the write is known by: its accession numbers, the check's practitioner id, the decided check. */
  tags: string[];
  idempotencyKey?: string;
}

interface CheckAnswer {
  checkId: string;
  items: { itemCode: string; candidates: { resultId: string; outcome: string }[] }[];
}

const cycle: Kind[] = ['check', 'put', 'decision', 'check', 'batch', 'put', 'check', 'decision', 'put', 'check'];
const maxQueuedDecisions = 2_000;

export async function runLoad(origin: string, world: World, ledger: Ledger, options: LoadOptions, stopped: () => boolean): Promise<void> {
  const pool = new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.answerTimeoutMs,
    bodyTimeout: options.answerTimeoutMs,
  });
  const decisionQueue: { checkId: string; authorization: string; body: string }[] = [];
  let serial = 0;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];

  function make(kind: Kind): Attempt {
    const attempt = build(kind);
    return options.idempotencyKeys && attempt.kind !== 'put' ? { ...attempt, idempotencyKey: randomUUID() } : attempt;
  }

  function build(kind: Kind): Attempt {
    const n = serial++;
    const hospital: Hospital = pick(world.hospitals);
    const patient = () => pick(world.patients);
    if (kind === 'decision') {
      const queued = decisionQueue.shift();
      if (queued)
        return {
          kind,
          method: 'POST',
          path: `/v1/recognition-checks/${queued.checkId}/decisions`,
          authorization: queued.authorization,
          body: queued.body,
          tags: [queued.checkId],
        };
      kind = 'check'; // nothing to decide on yet
    }
    if (kind === 'check') {
      const practitionerId = `CK-${options.runId}-${n}`;
      const items = Math.random() < 0.5 ? [world.items[0].code] : world.items.map((i) => i.code);
      const body = { practitionerId, patient: { idType: 'resident_id', idNumber: patient() }, items, purpose: 'treatment' };
      return {
        kind,
        method: 'POST',
        path: '/v1/recognition-checks',
        authorization: hospital.authorization,
        body: JSON.stringify(body),
        tags: [practitionerId],
      };
    }
    if (kind === 'put') {
      const accessionNo = `PUT-${options.runId}-${n}`;
      const body = submission(patient(), pick(world.items), recentInstant(Math.random), `9${n}`);
      return {
        kind,
        method: 'PUT',
        path: `/v1/results/${accessionNo}`,
        authorization: hospital.authorization,
        body: JSON.stringify(body),
        tags: [accessionNo],
      };
    }
    const results = Array.from({ length: options.batchSize }, (_, i) => ({
      accessionNo: `BATCH-${options.runId}-${n}-${i}`,
      ...submission(patient(), pick(world.items), recentInstant(Math.random), `8${n}.${i}`),
    }));
    return {
      kind,
      method: 'POST',
      path: '/v1/results/batch',
      authorization: hospital.authorization,
      body: JSON.stringify({ results }),
      tags: results.map((r) => r.accessionNo),
    };
  }

  /** Records a 2xx answer's acknowledged writes, and queues decisions on a check's candidates. */
  function acknowledge(attempt: Attempt, answer: unknown) {
    if (attempt.kind === 'batch') {
      for (const r of (answer as { results: { accessionNo: string; outcome: string; resultId?: string }[] }).results) {
        if (r.outcome === 'rejected' || !r.resultId) ledger.rejectedBatchItems += 1;
        else ledger.results.set(r.accessionNo, r.resultId);
      }
    } else if (attempt.kind === 'put') {
      ledger.results.set(attempt.tags[0], (answer as { resultId: string }).resultId);
    } else if (attempt.kind === 'check') {
      const check = answer as CheckAnswer;
      ledger.checks.set(check.checkId, attempt.tags[0]);
      const decisions = check.items.flatMap((item) => {
        const candidate = item.candidates.find((c) => c.outcome === 'RECOGNIZABLE');
        if (!candidate) return [];
        return Math.random() < 0.9
          ? [{ resultId: candidate.resultId, itemCode: item.itemCode, action: 'recognized' }]
          : [{ resultId: candidate.resultId, itemCode: item.itemCode, action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' }];
      });
      if (decisions.length > 0) {
        decisionQueue.push({ checkId: check.checkId, authorization: attempt.authorization, body: JSON.stringify({ decisions }) });
        if (decisionQueue.length > maxQueuedDecisions) decisionQueue.shift();
      }
    } else {
      for (const d of (answer as { decisions: { decisionId: string }[] }).decisions) ledger.decisions.set(d.decisionId, attempt.tags[0]);
    }
  }

  function markFailed(attempt: Attempt) {
    const set =
      attempt.kind === 'check' ? ledger.failedChecks : attempt.kind === 'decision' ? ledger.failedDecisions : ledger.failedResults;
    for (const tag of attempt.tags) set.add(tag);
  }

  /** Sends one attempt; true when it should be sent again (503 or transport error). */
  async function send(attempt: Attempt): Promise<boolean> {
    const label = `${attempt.method} ${attempt.path}${attempt.kind === 'check' ? ` (${attempt.tags[0]})` : ''}`;
    const started = performance.now();
    try {
      const response = await pool.request({
        method: attempt.method,
        path: attempt.path,
        headers: {
          authorization: attempt.authorization,
          'content-type': 'application/json',
          ...(attempt.idempotencyKey ? { 'idempotency-key': `"${attempt.idempotencyKey}"` } : {}),
        },
        body: attempt.body,
      });
      const ms = performance.now() - started;
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        acknowledge(attempt, await response.body.json());
        ledger.ok(attempt.kind, ms);
        if (response.headers['idempotent-replayed'] === 'true') ledger.tally[attempt.kind].replayed += 1;
        return false;
      }
      const text = await response.body.text();
      if (status === 409 && attempt.idempotencyKey && text.includes('idempotency-key-in-use')) {
        ledger.keyInUse(attempt.kind, ms);
        markFailed(attempt);
        return true;
      }
      if (status === 503) {
        const header = (name: string) => [response.headers[name]].flat()[0];
        ledger.unavailable(attempt.kind, ms, label, header('retry-after'), header('content-type'), text);
        markFailed(attempt);
        return true;
      }
      ledger.status(
        attempt.kind,
        ms,
        label,
        status,
        `${text} ${response.headers['x-request-id'] ? `(x-request-id ${String(response.headers['x-request-id'])})` : ''}`,
      );
      return false;
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error instanceof Error ? error.name : 'unknown');
      const hung = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      ledger.transport(attempt.kind, label, code, error instanceof Error ? error.message : String(error), hung);
      markFailed(attempt);
      return true;
    }
  }

  async function worker(offset: number) {
    let step = offset;
    let retry: Attempt | null = null;
    while (!stopped()) {
      const attempt: Attempt = retry ?? make(cycle[step++ % cycle.length]);
      if (retry) ledger.tally[attempt.kind].retried += 1;
      retry = (await send(attempt)) ? attempt : null;
      if (retry) await sleep(options.retryPauseMs);
    }
  }

  try {
    await Promise.all(Array.from({ length: options.connections }, (_, w) => worker(w)));
  } finally {
    await pool.close();
  }
}

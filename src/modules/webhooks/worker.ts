import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { Database, DatabaseHandle } from '../../db/database.ts';
import type { Metrics } from '../../metrics.ts';
import { retryDelayMs } from './backoff.ts';
import {
  claimDueDeliveries,
  purgeFinishedDeliveries,
  recordAttempt,
  type AttemptOutcome,
  type ClaimedDelivery,
} from './deliveries-repository.ts';
import { updateEndpoint } from './endpoints-repository.ts';
import { createSecretBox, signature } from './secrets.ts';
import { checkTarget, targetPolicy, urlProblem, type Resolver } from './targets.ts';
import { postWebhook } from './transport.ts';

export interface WebhookDeliveryDeps {
  db: Database;
  /** Wakes the worker as soon as any instance queues a delivery (NOTIFY at commit); without it, only the poll interval does. */
  listen?: DatabaseHandle['listen'];
  config: Pick<Config, 'nodeEnv' | 'webhooks'>;
  /** The secret the endpoints' signing secrets are sealed under (see secrets.ts). */
  patientKeySecret: string;
  logger: FastifyBaseLogger;
  clock?: () => Date;
  metrics?: Metrics;
  /** Instead of DNS (tests). */
  resolve?: Resolver;
  /** The back-off's jitter, in [0, 1) (tests). */
  random?: () => number;
}

export interface WebhookDelivery {
  /** Stops claiming, then waits for the deliveries being sent (each bounded by WEBHOOK_TIMEOUT_MS). */
  stop(): Promise<void>;
}

/** At most this many requests at once, and this many to one endpoint, so a slow receiver holds up only itself. */
const maxSending = 32;
const maxSendingPerEndpoint = 2;
export const userAgent = 'MutualRecognitionExchange-Webhooks/1.0';
export const wakeUpChannel = 'webhook_deliveries';
/** Finished deliveries past WEBHOOK_RETENTION_DAYS are deleted at start and then this often. */
const purgeEveryMs = 60 * 60_000;

/**
 * The delivery worker: claims due deliveries (a lease of twice the timeout and a second, committed
 * before any request is made), sends each to its endpoint signed as Standard Webhooks asks, and
 * records the outcome: delivered on a 2xx, else due again after a back-off, or failed after
 * WEBHOOK_MAX_ATTEMPTS. A worker that dies mid-delivery records nothing: the lease ends and the
 * delivery is sent again, by this instance or another, with the same webhook-id (at least once).
 * It also deletes the delivered and failed deliveries older than WEBHOOK_RETENTION_DAYS.
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps): WebhookDelivery {
  const { db, config, logger, metrics } = deps;
  const clock = deps.clock ?? (() => new Date());
  const { timeoutMs, retryBaseMs, maxAttempts, pollIntervalMs, retentionDays } = config.webhooks;
  const policy = { ...targetPolicy(config), resolve: deps.resolve };
  const secrets = createSecretBox(deps.patientKeySecret);
  const leaseMs = 2 * timeoutMs + 1_000;
  const sendingTo = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let claiming: Promise<void> | null = null;
  let claimAgain = false;

  function poll() {
    if (stopped) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = claimAndSend()
      .catch((err: unknown) => logger.warn({ err }, 'claiming webhook deliveries failed; the next poll tries again'))
      .finally(() => {
        claiming = null;
        if (claimAgain) {
          claimAgain = false;
          poll();
        }
      });
  }

  async function claimAndSend() {
    const free = maxSending - inFlight.size;
    if (free <= 0) return;
    const now = clock();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const claimed = await claimDueDeliveries(db, { now, leaseUntil, limit: free, perEndpoint: maxSendingPerEndpoint, sending: sendingTo });
    for (const delivery of claimed) track(delivery, leaseUntil);
  }

  function track(delivery: ClaimedDelivery, leaseUntil: Date) {
    const endpoint = delivery.endpoint_id;
    sendingTo.set(endpoint, (sendingTo.get(endpoint) ?? 0) + 1);
    const sent = attempt(delivery, leaseUntil)
      .catch((err: unknown) =>
        logger.warn({ err, deliveryId: delivery.id }, 'recording a webhook attempt failed; the delivery is sent again when its lease ends'),
      )
      .finally(() => {
        const left = sendingTo.get(endpoint)! - 1;
        if (left === 0) sendingTo.delete(endpoint);
        else sendingTo.set(endpoint, left);
        inFlight.delete(sent);
        // A slot is free: deliveries may be waiting behind the limits.
        poll();
      });
    inFlight.add(sent);
  }

  async function attempt(delivery: ClaimedDelivery, leaseUntil: Date) {
    const started = performance.now();
    const answer = await send(delivery);
    const at = clock();
    let outcome: AttemptOutcome;
    if ('status' in answer && answer.status >= 200 && answer.status < 300) {
      outcome = { delivered: true, at, statusCode: answer.status };
    } else {
      const failed = delivery.attempts >= maxAttempts;
      const statusCode = 'status' in answer ? answer.status : null;
      const error = 'status' in answer ? `HTTP ${answer.status}${answer.body ? `: ${answer.body}` : ''}` : answer.error;
      const nextAttemptAt = new Date(at.getTime() + retryDelayMs(delivery.attempts, retryBaseMs, deps.random));
      outcome = { delivered: false, statusCode, error: storable(error), nextAttemptAt, failed };
    }
    // Standard Webhooks: 410 Gone says the receiver wants no more. The endpoint is disabled with the
    // attempt recorded; its deliveries wait, and resume if the hospital enables it again.
    const gone = !outcome.delivered && outcome.statusCode === 410;
    const recorded = await db.transaction().execute(async (tx) => {
      if (gone) await updateEndpoint(tx, delivery.endpoint_id, { enabled: false, updated_at: at });
      return recordAttempt(tx, { id: delivery.id, leaseUntil }, outcome);
    });
    if (gone) logger.warn({ endpointId: delivery.endpoint_id }, 'a webhook endpoint answered 410 Gone and was disabled');
    const result = outcome.delivered ? 'delivered' : outcome.failed ? 'failed' : 'retried';
    metrics?.webhookAttempts.inc({ outcome: result });
    metrics?.webhookAttemptDuration.observe({ outcome: result }, (performance.now() - started) / 1000);
    const facts = { deliveryId: delivery.id, endpointId: delivery.endpoint_id, attempts: delivery.attempts };
    if (!recorded) logger.warn(facts, 'a webhook attempt outlived its lease; the delivery may be sent again');
    else if (!outcome.delivered && outcome.failed) logger.warn({ ...facts, error: outcome.error }, 'a webhook delivery failed for good');
    else if (!outcome.delivered) logger.info({ ...facts, error: outcome.error }, 'a webhook attempt failed; it will be retried');
  }

  /** One attempt: the URL and address checked again, the request signed with every secret in force. */
  async function send(delivery: ClaimedDelivery): Promise<{ status: number; body: string } | { error: string }> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const problem = urlProblem(delivery.url, policy);
      if (problem) return { error: `refused: the URL ${problem}` };
      const url = new URL(delivery.url);
      const target = await untilAborted(checkTarget(url, policy), signal);
      if (!target.ok) return { error: `refused: ${target.problem}` };
      const at = clock();
      const timestamp = Math.floor(at.getTime() / 1000);
      const body = JSON.stringify({ type: delivery.event_type, timestamp: delivery.created_at.toISOString(), data: delivery.payload });
      const keys = [secrets.open(delivery.secret_sealed)];
      if (delivery.previous_secret_sealed && delivery.previous_secret_expires_at! > at)
        keys.push(secrets.open(delivery.previous_secret_sealed));
      const headers = {
        'content-type': 'application/json',
        'user-agent': userAgent,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': keys.map((key) => signature(key, delivery.id, timestamp, body)).join(' '),
      };
      return await postWebhook({ url, address: target.address, headers, body, signal });
    } catch (error) {
      if (signal.aborted) return { error: `timed out after ${timeoutMs} ms` };
      const code = (error as { code?: string }).code;
      return { error: error instanceof Error ? `${code ? `${code}: ` : ''}${error.message}` : String(error) };
    }
  }

  const timer = setInterval(poll, pollIntervalMs);
  timer.unref();
  let purging: Promise<void> | null = null;
  const purge = () => {
    if (stopped || purging) return;
    const before = new Date(clock().getTime() - retentionDays * 86_400_000);
    purging = purgeFinishedDeliveries(db, before, { stopped: () => stopped })
      .then(
        (deleted) => void (deleted > 0 && logger.info({ deleted, before }, 'deleted finished webhook deliveries past their retention')),
        (err: unknown) => logger.warn({ err }, 'deleting old webhook deliveries failed; trying again within the hour'),
      )
      .finally(() => (purging = null));
  };
  const purgeTimer = setInterval(purge, purgeEveryMs);
  purgeTimer.unref();
  purge();
  const listening = deps.listen?.(
    wakeUpChannel,
    () => poll(),
    (now) => now && poll(),
  );
  listening?.catch((err: unknown) => logger.warn({ err }, 'webhook deliveries are found by polling alone: listening for new ones failed'));
  poll();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(purgeTimer);
      const unlisten = await listening?.catch(() => null);
      // Nothing to undo when the database was closed first.
      await unlisten?.().catch(() => {});
      await claiming;
      await purging;
      await Promise.allSettled(inFlight);
    },
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** PostgreSQL text holds no NUL, and a receiver's answer may hold anything. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').slice(0, 8_192);
}

import cluster, { type Worker } from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** One registry's metrics as `getMetricsAsJSON` gives them, to be aggregated. */
type Part = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

// With WORKERS > 1 each worker counts its own requests, but a scrape reaches one worker only (the
// primary hands connections out in turn): counters read from whichever worker answered would jump
// back and forth between the workers' counts. So a worker asked for its metrics asks the primary,
// which collects every ready worker's registry and answers with them aggregated by prom-client
// (counters and histograms summed, each gauge as it declares). A worker is ready once its registry
// exists; one starting, or one that does not answer within the collection's time, is left out of
// that scrape (and logged), so a slow or restarting worker delays a scrape, never fails it.

type Message =
  | { type: 'mre:metrics-ready' }
  | { type: 'mre:metrics-request'; id: number }
  | { type: 'mre:metrics-answer'; id: number; text?: string; error?: string }
  | { type: 'mre:metrics-collect'; id: number }
  | { type: 'mre:metrics-part'; id: number; metrics?: Part; error?: string };

const messageOf = (value: unknown): Message | null =>
  typeof value === 'object' && value !== null && String((value as { type?: unknown }).type).startsWith('mre:metrics-')
    ? (value as Message)
    : null;

/** How long the primary waits for the workers' parts; the asking worker waits this and a margin. */
const collectTimeoutMs = 3_000;

/** In the primary: answers the workers' requests for the metrics of all of them. */
export function answerClusterMetrics(logger: FastifyBaseLogger): void {
  const ready = new Set<Worker>();
  const collections = new Map<number, { parts: Map<Worker, Part>; answered: (worker: Worker, part: Part | null) => void }>();
  let next = 0;

  function collect(): Promise<string> {
    const id = next++;
    const asked = [...ready].filter((w) => w.isConnected());
    const parts = new Map<Worker, Part>();
    return new Promise<string>((resolve) => {
      const pending = new Set(asked);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        collections.delete(id);
        if (pending.size > 0)
          logger.warn({ missing: [...pending].map((w) => w.process.pid) }, 'metrics were scraped without the workers that did not answer');
        resolve(AggregatorRegistry.aggregate([...parts.values()]).metrics());
      };
      const timer = setTimeout(finish, collectTimeoutMs);
      collections.set(id, {
        parts,
        answered: (worker, part) => {
          if (part) parts.set(worker, part);
          pending.delete(worker);
          if (pending.size === 0) finish();
        },
      });
      if (asked.length === 0) finish();
      for (const worker of asked) worker.send({ type: 'mre:metrics-collect', id } satisfies Message);
    });
  }

  cluster.on('exit', (worker) => {
    ready.delete(worker);
    // A worker gone mid-collection will not answer: do not wait for it.
    for (const collection of collections.values()) collection.answered(worker, null);
  });
  cluster.on('message', (worker, value: unknown) => {
    const message = messageOf(value);
    if (message?.type === 'mre:metrics-ready') ready.add(worker);
    else if (message?.type === 'mre:metrics-part') collections.get(message.id)?.answered(worker, message.metrics ?? null);
    else if (message?.type === 'mre:metrics-request') {
      const { id } = message;
      collect().then(
        (text) => worker.isConnected() && worker.send({ type: 'mre:metrics-answer', id, text } satisfies Message),
        (error: unknown) => worker.isConnected() && worker.send({ type: 'mre:metrics-answer', id, error: String(error) } satisfies Message),
      );
    }
  });
}

/**
 * In a worker: answers the primary's collections with `registry`, tells it that it is ready, and
 * gives the text of every worker's metrics together.
 */
export function clusterMetricsOf(registry: Registry): () => Promise<string> {
  let next = 0;
  const waiting = new Map<number, (answer: { text?: string; error?: string }) => void>();
  process.on('message', (value: unknown) => {
    const message = messageOf(value);
    if (message?.type === 'mre:metrics-answer') waiting.get(message.id)?.(message);
    else if (message?.type === 'mre:metrics-collect') {
      const { id } = message;
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: 'mre:metrics-part', id, metrics } satisfies Message),
        (error: unknown) => process.send?.({ type: 'mre:metrics-part', id, error: String(error) } satisfies Message),
      );
    }
  });
  process.send?.({ type: 'mre:metrics-ready' } satisfies Message);
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const settle = ({ text, error }: { text?: string; error?: string }) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (text === undefined) reject(new Error(`the workers' metrics could not be collected: ${error ?? 'no answer'}`));
        else resolve(text);
      };
      const timer = setTimeout(() => settle({ error: 'the primary process did not answer in time' }), collectTimeoutMs + 2_000);
      waiting.set(id, settle);
      process.send!({ type: 'mre:metrics-request', id } satisfies Message);
    });
}

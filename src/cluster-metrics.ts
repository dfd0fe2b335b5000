import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

// With WORKERS > 1 each worker counts its own requests, but a scrape reaches one worker only (the
// primary hands connections out in turn): counters read from whichever worker answered would jump
// back and forth between the workers' counts. So a worker asked for its metrics asks the primary,
// which collects every worker's registry (prom-client's cluster aggregation: counters and histograms
// summed, each gauge as it declares) and answers with the whole service's.

const request = 'mre:cluster-metrics-request';
const answer = 'mre:cluster-metrics-answer';
/** prom-client gives up on a worker after 5 s; the primary's answer comes within that and this margin. */
const answerTimeoutMs = 7_000;

interface Answer {
  type: typeof answer;
  id: number;
  text?: string;
  error?: string;
}

const isAnswer = (message: unknown): message is Answer =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === answer;

/** In the primary: answers the workers' requests for the metrics of all of them. */
export function answerClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: unknown; id?: unknown }) => {
    if (message?.type !== request || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: answer, id, text } satisfies Answer),
      (error: unknown) =>
        worker.isConnected() &&
        worker.send({ type: answer, id, error: error instanceof Error ? error.message : String(error) } satisfies Answer),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's collection, and answers the text of every
 * worker's metrics together.
 */
export function clusterMetricsOf(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one is what makes prom-client answer the primary's collection in this worker.
  new AggregatorRegistry();
  let next = 0;
  const waiting = new Map<number, (answer: Answer) => void>();
  process.on('message', (message: unknown) => {
    if (isAnswer(message)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => settle({ type: answer, id, error: 'the primary process did not answer in time' }), answerTimeoutMs);
      const settle = ({ text, error }: Answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (text === undefined) reject(new Error(`the workers' metrics could not be collected: ${error ?? 'no answer'}`));
        else resolve(text);
      };
      waiting.set(id, settle);
      process.send!({ type: request, id });
    });
}

import cluster, { type Worker } from 'node:cluster';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.ts';

// WORKERS > 1: the primary process forks that many workers, which share the listening port (the
// primary hands out connections in turn). Each worker is a whole instance with its own pool; worker 0
// is the leader that also counts the report aggregates and sends webhooks. A worker that dies is
// started again; SIGTERM or SIGINT stops them all gracefully, each as a single process would stop.

const indexVariable = 'MRE_WORKER_INDEX';

/** This worker's index (0 is the leader); 0 outside a cluster. */
export function workerIndex(): number {
  return Number(process.env[indexVariable] ?? 0);
}

const restartDelayMs = 1_000;

export async function runWorkers(config: Config, logger: FastifyBaseLogger, onListening: () => void): Promise<void> {
  let stopping = false;
  let exitCode = 0;
  const workers = new Map<Worker, { index: number; listening: boolean }>();
  let listening = 0;

  const fork = (index: number) => {
    const worker = cluster.fork({ [indexVariable]: String(index) });
    const state = { index, listening: false };
    workers.set(worker, state);
    worker.once('listening', () => {
      state.listening = true;
      // The first time every worker listens; a worker started again later does not announce it again.
      if (++listening === config.workers) onListening();
    });
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) {
        if (workers.size === 0) process.exit(exitCode);
        return;
      }
      // A worker that dies before it listens is failing to start: the service stops instead of looping.
      if (!state.listening) {
        logger.fatal({ index, code, signal }, 'a worker failed while starting; stopping the service');
        stop(1);
        return;
      }
      logger.error({ index, code, signal }, 'a worker stopped unexpectedly; starting it again');
      setTimeout(() => stopping || fork(index), restartDelayMs).unref();
    });
  };

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    if (workers.size === 0) process.exit(exitCode);
    for (const worker of workers.keys()) worker.process.kill('SIGTERM');
    // Each worker bounds its own close by SHUTDOWN_GRACE_MS; past that and a margin, none is waited for.
    setTimeout(() => {
      for (const worker of workers.keys()) worker.process.kill('SIGKILL');
      process.exit(exitCode || 1);
    }, config.shutdownGraceMs + 5_000).unref();
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.warn({ signal, workers: workers.size }, 'stopping the workers on a signal');
      stop(0);
    });
  }
  for (let index = 0; index < config.workers; index++) fork(index);
}

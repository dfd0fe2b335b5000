// Where the CPU goes during a phase: the service (its primary and workers), the PostgreSQL backends serving this
// database, and the load generator itself, from /proc (Linux). On two shared cores these shares,
// in CPU milliseconds per request, say what bounds throughput.
import type { Kysely } from 'kysely';
import { backendTicksSince, postgresBackends, processTreeTicks, tickMs } from './scale-cpu.ts';

export interface CpuShare {
  serviceMs: number;
  postgresMs: number;
  loadGeneratorMs: number;
}

/** Runs `phase` and reports the CPU each party spent on it, per completed request. */
export async function withCpu<T extends { requests: number }>(
  db: Kysely<any>,
  servicePid: number | undefined,
  phase: () => Promise<T>,
): Promise<T & { cpu: CpuShare | null }> {
  const before = await postgresBackends(db);
  const serviceStart = servicePid ? processTreeTicks(servicePid) : 0;
  const self = process.cpuUsage();
  const outcome = await phase();
  const selfUsed = process.cpuUsage(self);
  const postgres = backendTicksSince(before, await postgresBackends(db));
  const per = (ms: number) => (outcome.requests > 0 ? ms / outcome.requests : Number.NaN);
  return {
    ...outcome,
    cpu: {
      serviceMs: servicePid ? per((processTreeTicks(servicePid) - serviceStart) * tickMs) : Number.NaN,
      postgresMs: per(postgres * tickMs),
      loadGeneratorMs: per((selfUsed.user + selfUsed.system) / 1000),
    },
  };
}

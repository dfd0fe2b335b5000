// Where the CPU goes during a phase: the service (its primary and workers), the PostgreSQL backends serving this
// database, and the load generator itself, from /proc (Linux). On two shared cores these shares,
// in CPU milliseconds per request, say what bounds throughput.
import { sql, type Kysely } from 'kysely';
import { processTreeTicks, ticks, tickMs } from './scale-cpu.ts';

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
  const backends = async () =>
    (
      await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(
        db,
      )
    ).rows.map((r) => r.pid);
  const before = await backends();
  const startTicks = new Map(before.map((pid) => [pid, ticks(pid)]));
  const serviceStart = servicePid ? processTreeTicks(servicePid) : 0;
  const self = process.cpuUsage();
  const outcome = await phase();
  const selfUsed = process.cpuUsage(self);
  const after = await backends();
  let postgres = 0;
  for (const pid of after) postgres += ticks(pid) - (startTicks.get(pid) ?? 0);
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

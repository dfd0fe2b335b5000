// Where the CPU goes during a phase: the service process, the PostgreSQL backends serving this
// database, and the load generator itself, from /proc (Linux). On two shared cores these shares,
// in CPU milliseconds per request, say what bounds throughput.
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

export interface CpuShare {
  serviceMs: number;
  postgresMs: number;
  loadGeneratorMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticks(pid: number): number {
  try {
    // Fields after the parenthesised command: utime and stime are fields 14 and 15 of the line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // gone, or not Linux
  }
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
  const serviceStart = servicePid ? ticks(servicePid) : 0;
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
      serviceMs: servicePid ? per((ticks(servicePid) - serviceStart) * TICK_MS) : Number.NaN,
      postgresMs: per(postgres * TICK_MS),
      loadGeneratorMs: per((selfUsed.user + selfUsed.system) / 1000),
    },
  };
}

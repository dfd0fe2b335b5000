// CPU time, in clock ticks from /proc (Linux), of a process with its children (the service's
// primary and its workers), of the PostgreSQL backends serving the benchmark's database, and of the
// whole machine (which also counts PostgreSQL's background writers, the kernel's own threads and
// interrupts, and anything else running).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

/** USER_HZ is 100 on Linux. */
export const tickMs = 10;

/** A process's own user and system time. */
export function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The process and its living children (the service's primary and its workers), listed once for every reading of them. */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid)];
}

/** The processes' CPU ticks, together. */
export function treeTicks(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + ticks(pid), 0);
}

/** The process and its living children, together. */
export function processTreeTicks(pid: number): number {
  return treeTicks(processTree(pid));
}

/** How often a process gave up its core (waiting for something) and how often the kernel took it away. */
export interface Switches {
  voluntary: number;
  involuntary: number;
}

function switches(pid: number): Switches {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches') };
  } catch {
    return { voluntary: 0, involuntary: 0 }; // gone
  }
}

/** The processes' context switches, together (their main threads'). */
export function treeSwitches(pids: readonly number[]): Switches {
  return pids.map(switches).reduce((a, b) => ({
    voluntary: a.voluntary + b.voluntary,
    involuntary: a.involuntary + b.involuntary,
  }));
}

/** Every backend of this database but the asking one, with the CPU ticks it has used so far. */
export async function postgresBackends(db: Kysely<any>): Promise<Map<number, number>> {
  const { rows } = await sql<{
    pid: number;
  }>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
  return new Map(rows.map((r) => [r.pid, ticks(r.pid)]));
}

/**
 * What the backends spent between two readings, backend by backend: one that started since counts
 * whole; one that ended is left out (its last ticks cannot be read), never subtracted. A sum of the
 * two readings' totals would subtract a replaced pool connection's whole past from the step.
 */
export function backendTicksSince(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let spent = 0;
  for (const [pid, now] of after) spent += now - (before.get(pid) ?? 0);
  return spent;
}

/** The whole machine's busy time (all CPUs: user, system, interrupts, steal) from /proc/stat. */
export function machineTicks(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return 0; // not Linux
  }
}

// What a chaos run asks of the service and its checkout: liveness, its own fault counters, the code's version.
import { execFileSync } from 'node:child_process';

/** The code the service ran: its git commit, and whether the working tree differed from it. */
export function version(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export async function status(origin: string, path: string): Promise<number> {
  try {
    const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** The service's own counts of what it went through (Prometheus text, administrator's token). */
export async function serviceMetrics(origin: string, authorization: string): Promise<Record<string, number>> {
  const response = await fetch(`${origin}/metrics`, { headers: { authorization } }).catch(() => null);
  if (!response?.ok) return {};
  const wanted = /^(mre_database_faults_total|mre_database_connections_lost_total|mre_shed_requests_total)(\{[^}]*\})? ([\d.e+-]+)$/;
  return Object.fromEntries(
    (await response.text()).split('\n').flatMap((line) => {
      const match = wanted.exec(line);
      return match ? [[`${match[1]}${match[2] ?? ''}`, Number(match[3])]] : [];
    }),
  );
}

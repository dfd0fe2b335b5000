// The report endpoints, found in the service's own OpenAPI document (GET operations tagged
// "reports"), so a new report is benchmarked without editing this file. Each runs over the default
// period (the last 30 days) and over a year; a `groupBy` enum is expanded into one case per value.
import type { Request } from './load.ts';
import type { Receiver } from './workload.ts';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { enum?: string[]; type?: string; format?: string };
}

interface OpenApi {
  paths: Record<string, Record<string, { tags?: string[]; parameters?: Parameter[] }>>;
}

const day = (offsetDays: number) => new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

export async function reportRequests(origin: string, admin: Receiver): Promise<{ name: string; request: Request }[]> {
  const response = await fetch(`${origin}/openapi.json`);
  if (!response.ok) throw new Error(`openapi.json: ${response.status}`);
  const spec = (await response.json()) as OpenApi;
  const cases: { name: string; request: Request }[] = [];
  for (const [path, operations] of Object.entries(spec.paths)) {
    const get = operations.get;
    if (!get || !get.tags?.includes('reports') || path.includes('{')) continue;
    const query = (get.parameters ?? []).filter((p) => p.in === 'query');
    if (query.some((p) => p.required && !['from', 'to', 'groupBy'].includes(p.name) && !p.schema?.enum)) continue; // cannot fill it in
    const groupBy = query.find((p) => p.name === 'groupBy')?.schema?.enum ?? [null];
    const hasPeriod = query.some((p) => p.name === 'from');
    for (const group of groupBy) {
      for (const year of hasPeriod ? [false, true] : [false]) {
        const params = new URLSearchParams();
        if (group) params.set('groupBy', group);
        if (year) {
          params.set('from', day(-364));
          params.set('to', day(0));
        }
        const name = `${path.replace('/v1/reports/', '')}${group ? ` by ${group}` : ''}${hasPeriod ? (year ? ', 365 days' : ', 30 days') : ''}`;
        const qs = params.toString();
        cases.push({
          name,
          request: { method: 'GET', path: `${path}${qs ? `?${qs}` : ''}`, headers: { authorization: admin.authorization } },
        });
      }
    }
  }
  return cases;
}

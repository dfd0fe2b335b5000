// The chaos run's little province, made through the API with the administrator's token: four
// hospitals of one city, a city scope they are all certified in, a lab item and a CT item, one
// client per hospital, and prior results for every patient so that checks find recognisable candidates.
import { residentIdOf } from '../bench/province.ts';

export interface Hospital {
  id: string;
  authorization: string;
}

export interface World {
  hospitals: Hospital[];
  items: { code: string; imaging: boolean }[];
  patients: string[];
  admin: string;
}

const city = { province: 'Zhejiang', city: 'Hangzhou' };
const scopeId = 'CHAOS-CITY';
export const items = [
  {
    code: 'CHAOS-LAB',
    imaging: false,
    body: {
      name: 'Complete blood count',
      category: 'lab',
      validityDays: 30,
      analytes: ['WBC', 'HGB'],
      prices: { T1: 25 },
      minutesSaved: 60,
    },
  },
  {
    code: 'CHAOS-CT',
    imaging: true,
    body: { name: 'Chest CT', category: 'ct', validityDays: 180, prices: { T1: 300 }, minutesSaved: 120, radiationMsv: 7 },
  },
];

async function call(origin: string, authorization: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

export async function token(origin: string, clientId: string, secret: string): Promise<string> {
  const response = await fetch(`${origin}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!response.ok) throw new Error(`token for ${clientId} refused: ${response.status} ${await response.text()}`);
  return `Bearer ${((await response.json()) as { access_token: string }).access_token}`;
}

/** One result as a hospital submits it (without its accession number). */
export function submission(patient: string, item: { code: string; imaging: boolean }, performedAt: Date, uid: string) {
  return {
    patient: { idType: 'resident_id', idNumber: patient },
    itemCode: item.code,
    performedAt: performedAt.toISOString(),
    reportedAt: new Date(performedAt.getTime() + 2 * 3_600_000).toISOString(),
    status: 'final',
    ...(item.imaging
      ? { studyUid: `1.2.156.600734.7.${uid}`, equipment: { sliceCount: 64 }, findings: 'No abnormality.' }
      : {
          analytes: [
            { code: 'WBC', value: 6.1, unit: '10^9/L', referenceRange: '3.5-9.5' },
            { code: 'HGB', value: 138, unit: 'g/L', referenceRange: '130-175' },
          ],
        }),
  };
}

/** Within the lab item's 30-day validity, never in the future. */
export const recentInstant = (random: () => number) => new Date(Date.now() - 3_600_000 - Math.floor(random() * 20 * 86_400_000));

export async function buildWorld(
  origin: string,
  adminClientId: string,
  adminSecret: string,
  options: { hospitals: number; patients: number; preloaded: number; runId: string },
  log: (line: string) => void,
): Promise<World> {
  const admin = await token(origin, adminClientId, adminSecret);
  for (const item of items) await call(origin, admin, 'PUT', `/v1/items/${item.code}`, item.body);
  const ids = Array.from({ length: options.hospitals }, (_, i) => `CHAOS-H${i + 1}`);
  for (const [i, id] of ids.entries()) {
    await call(origin, admin, 'PUT', `/v1/hospitals/${id}`, {
      name: `Chaos hospital ${i + 1}`,
      tier: i % 2 === 0 ? 'tertiary' : 'secondary',
      ...city,
      priceTier: 'T1',
    });
  }
  await call(origin, admin, 'PUT', `/v1/scopes/${scopeId}`, {
    level: 'city',
    name: 'Hangzhou mutual recognition',
    region: city.city,
    province: city.province,
  });
  const effectiveFrom = new Date(Date.now() - 365 * 86_400_000).toISOString();
  const hospitals: Hospital[] = [];
  for (const id of ids) {
    await call(origin, admin, 'POST', `/v1/hospitals/${id}/certifications`, { scopeId, status: 'active', effectiveFrom });
    const client = (await call(origin, admin, 'POST', `/v1/hospitals/${id}/clients`, { description: 'chaos run' })) as {
      clientId: string;
      clientSecret: string;
    };
    hospitals.push({ id, authorization: await token(origin, client.clientId, client.clientSecret) });
  }
  const patients = Array.from({ length: options.patients }, (_, i) => residentIdOf(i));
  // Prior results: every patient gets some, from every hospital in turn, in batches of 500.
  let random = 1;
  const next = () => (random = (random * 48_271) % 2_147_483_647) / 2_147_483_647;
  const preloaded = Array.from({ length: options.preloaded }, (_, n) => ({
    hospital: hospitals[n % hospitals.length],
    result: {
      accessionNo: `PRE-${options.runId}-${n}`,
      ...submission(patients[n % patients.length], items[Math.floor(n / patients.length) % items.length], recentInstant(next), `${n}`),
    },
  }));
  for (const hospital of hospitals) {
    const own = preloaded.filter((p) => p.hospital === hospital).map((p) => p.result);
    for (let start = 0; start < own.length; start += 500) {
      const answer = (await call(origin, hospital.authorization, 'POST', '/v1/results/batch', {
        results: own.slice(start, start + 500),
      })) as { results: { outcome: string }[] };
      const rejected = answer.results.filter((r) => r.outcome === 'rejected');
      if (rejected.length > 0)
        throw new Error(`the service rejected ${rejected.length} pre-loaded result(s): ${JSON.stringify(rejected[0])}`);
    }
  }
  log(
    `set up ${hospitals.length} hospitals, ${items.length} items, 1 scope, ${patients.length} patients, ${preloaded.length} pre-loaded results`,
  );
  return { hospitals, items: items.map(({ code, imaging }) => ({ code, imaging })), patients, admin };
}

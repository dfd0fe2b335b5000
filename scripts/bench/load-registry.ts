// The generated province's registry: hospitals, scopes, certification timelines (some suspended,
// two revoked retroactively), the benchmark's API clients, and the patients table the SQL generator
// and pgbench join on (index → patient key).
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.ts';
import { hashSecret, hospitalScopes } from '../../src/modules/auth/index.ts';
import { patientKey } from '../../src/modules/patients/index.ts';
import type { Category } from '../../src/modules/rules/index.ts';
import {
  allianceItems,
  allianceMembers,
  benchAdminClientId,
  benchClientId,
  benchClientSecret,
  cities,
  consortia,
  hospitals,
  nationalItems,
  residentIdOf,
} from './province.ts';
import type { Random } from '../../src/demo/random.ts';

const DAY_MS = 86_400_000;

export async function loadRegistry(db: Kysely<DB>, now: Date, patientKeySecret: string): Promise<{ certifications: number }> {
  await db
    .insertInto('hospitals')
    .values(
      hospitals.map((h) => ({
        id: h.id,
        name: h.name,
        tier: h.tier,
        grade: h.grade,
        province: 'Zhejiang',
        city: cities[h.city].name,
        county: null,
        price_tier: h.priceTier,
        updated_at: now,
      })),
    )
    .execute();
  await db
    .insertInto('scopes')
    .values([
      {
        id: 'NATIONAL',
        level: 'national',
        name: '全国检查检验结果互认（国家共性项目）',
        region: null,
        members: null,
        items: nationalItems,
        updated_at: now,
      },
      { id: 'ZJ', level: 'province', name: '浙江省医学检查检验结果互认', region: 'Zhejiang', members: null, items: null, updated_at: now },
      ...cities.map((c) => ({
        id: c.scopeId,
        level: 'city',
        name: `${c.name}市检查检验结果互认`,
        region: c.name,
        members: null,
        items: null,
        updated_at: now,
      })),
      ...consortia.map((c) => ({
        id: c.id,
        level: 'consortium',
        name: c.name,
        region: null,
        members: c.members,
        items: null,
        updated_at: now,
      })),
      {
        id: 'YRD',
        level: 'alliance',
        name: '长三角检查检验结果互认联盟',
        region: null,
        members: allianceMembers,
        items: allianceItems,
        updated_at: now,
      },
    ])
    .execute();
  const events = certificationEvents(now);
  await db.insertInto('certification_events').values(events).execute();

  // One scrypt hash shared by every generated client: 372 hashes would cost ~20 s for nothing.
  const secretHash = await hashSecret(benchClientSecret(patientKeySecret));
  await db
    .insertInto('clients')
    .values([
      ...hospitals.map((h) => ({
        client_id: benchClientId(h.id),
        hospital_id: h.id,
        scopes: [...hospitalScopes],
        secret_hash: secretHash,
        jwks: null,
        description: 'Generated benchmark client',
      })),
      {
        client_id: benchAdminClientId,
        hospital_id: null,
        scopes: ['admin'],
        secret_hash: secretHash,
        jwks: null,
        description: 'Generated benchmark administrator',
      },
    ])
    .execute();
  return { certifications: events.length };
}

function certificationEvents(now: Date) {
  const at = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const rows: {
    hospital_id: string;
    scope_id: string;
    item_code: string | null;
    category: string | null;
    status: string;
    effective_from: Date;
    recorded_at: Date;
    recorded_by: string;
    note: string | null;
  }[] = [];
  const event = (
    hospitalId: string,
    scopeId: string,
    status: string,
    days: number,
    coverage: { category?: Category } = {},
    note: string | null = null,
    recordedDays = days,
  ) =>
    rows.push({
      hospital_id: hospitalId,
      scope_id: scopeId,
      item_code: null,
      category: coverage.category ?? null,
      status,
      effective_from: at(days),
      recorded_at: at(recordedDays),
      recorded_by: 'generator',
      note,
    });
  const consortiumMembers = new Map(consortia.flatMap((c) => c.members.map((m) => [m, c.id] as const)));
  // Four years of provincial and city certification (every item), so all generated results fall inside it.
  for (const h of hospitals) {
    const consortium = consortiumMembers.get(h.id);
    if (consortium) event(h.id, consortium, 'active', 1460, {}, 'County medical community');
    if (h.tier === 'primary') {
      // A township centre outside a consortium: its laboratory only, in its city.
      if (!consortium) event(h.id, cities[h.city].scopeId, 'active', 1460, { category: 'lab' }, 'Laboratory passed EQA');
      continue;
    }
    event(h.id, 'ZJ', 'active', 1460, {}, 'Passed provincial EQA');
    event(h.id, cities[h.city].scopeId, 'active', 1460, {}, 'Passed provincial EQA');
    if (h.tier === 'tertiary' && h.grade === 'A') event(h.id, 'NATIONAL', 'active', 900, {}, 'National common items');
  }
  for (const id of allianceMembers) event(id, 'YRD', 'active', 1000, {}, 'Alliance accession');
  // Failed external quality assessments: a category suspended, most of them reinstated later.
  const categories: Category[] = ['lab', 'ct', 'ultrasound', 'xray', 'mri'];
  hospitals.forEach((h, i) => {
    if (h.tier === 'primary' || i % 17 !== 5) return;
    const category = categories[i % categories.length];
    const from = 100 + ((i * 37) % 500);
    for (const scope of ['ZJ', cities[h.city].scopeId]) {
      event(h.id, scope, 'suspended', from, { category }, `Failed ${category} EQA`);
      if (i % 3 !== 0) event(h.id, scope, 'active', from - 60, { category }, 'Passed EQA re-assessment');
    }
  });
  // Falsified EQA data found ten days ago: revoked back to 150 days ago.
  for (const h of [hospitals[40], hospitals[200]]) {
    for (const scope of ['ZJ', cities[h.city].scopeId])
      event(h.id, scope, 'revoked', 150, {}, 'EQA data falsified; revoked retroactively', 10);
  }
  return rows;
}

/**
 * Per-patient result counts: lognormal (median ~0.6 × mean, a long tail of chronic patients), capped
 * at 50 × mean, then scaled so they sum to exactly `total`.
 */
export function resultCounts(patients: number, total: number, random: Random): Uint32Array {
  const sigma = 1.0;
  const raw = new Float64Array(patients);
  let sum = 0;
  for (let i = 0; i < patients; i += 1) {
    const z = Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    raw[i] = Math.min(Math.exp(sigma * z), 50 * Math.exp((sigma * sigma) / 2));
    sum += raw[i];
  }
  const counts = new Uint32Array(patients);
  let carry = 0;
  let assigned = 0;
  for (let i = 0; i < patients; i += 1) {
    const exact = (raw[i] * total) / sum + carry;
    counts[i] = Math.max(0, Math.round(exact));
    carry = exact - counts[i];
    assigned += counts[i];
  }
  // Rounding leaves at most a handful over or under: settle it on the first patients.
  for (let i = 0; assigned !== total; i = (i + 1) % patients) {
    const step = assigned < total ? 1 : counts[i] > 0 ? -1 : 0;
    counts[i] += step;
    assigned += step;
  }
  return counts;
}

/**
 * gen_patients(idx, patient_key, home_city, n_results, first_row): the HMACs are computed here (about
 * 2 s per million) and shipped in array-parameter chunks; the SQL generator joins on it.
 */
export async function loadPatients(
  db: Kysely<DB>,
  counts: Uint32Array,
  patientKeySecret: string,
  log: (line: string) => void,
): Promise<void> {
  await sql`create table gen_patients (idx integer primary key, patient_key text not null, home_city integer not null, n_results integer not null, first_row bigint not null)`.execute(
    db,
  );
  const chunk = 50_000;
  let firstRow = 0;
  const started = performance.now();
  for (let from = 0; from < counts.length; from += chunk) {
    const to = Math.min(counts.length, from + chunk);
    const idx: number[] = [];
    const keys: string[] = [];
    const city: number[] = [];
    const n: number[] = [];
    const first: number[] = [];
    for (let i = from; i < to; i += 1) {
      idx.push(i);
      keys.push(patientKey(patientKeySecret, 'resident_id', residentIdOf(i)));
      city.push(i % cities.length);
      n.push(counts[i]);
      first.push(firstRow);
      firstRow += counts[i];
    }
    await sql`insert into gen_patients select * from unnest(${idx}::int[], ${keys}::text[], ${city}::int[], ${n}::int[], ${first}::bigint[])`.execute(
      db,
    );
  }
  log(`  ${counts.length.toLocaleString('en')} patients keyed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

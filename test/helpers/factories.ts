import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { hashSecret } from '../../src/modules/auth/secrets.ts';
import { insertNewResults } from '../../src/modules/results/index.ts';

/** Small factories that write straight to the database, so each test makes exactly what it needs. */
const suffix = () => randomBytes(4).toString('hex');

export interface HospitalSeed {
  id?: string;
  name?: string;
  tier?: 'tertiary' | 'secondary' | 'primary';
  grade?: 'A' | 'B' | 'C' | null;
  province?: string;
  city?: string;
  county?: string | null;
  priceTier?: string | null;
}

export async function makeHospital(db: Database, seed: HospitalSeed = {}): Promise<string> {
  const id = seed.id ?? `H-${suffix()}`;
  await db
    .insertInto('hospitals')
    .values({
      id,
      name: seed.name ?? `Hospital ${id}`,
      tier: seed.tier ?? 'tertiary',
      grade: seed.grade === undefined ? 'A' : seed.grade,
      province: seed.province ?? 'Zhejiang',
      city: seed.city ?? 'Hangzhou',
      county: seed.county ?? null,
      price_tier: seed.priceTier === undefined ? 'T1' : seed.priceTier,
      updated_at: new Date(),
    })
    .execute();
  return id;
}

export interface ItemSeed {
  code?: string;
  name?: string;
  category?: string;
  validityDays?: number;
  negativeList?: boolean;
  analytes?: string[] | null;
  prices?: Record<string, number>;
  minutesSaved?: number;
  radiationMsv?: number | null;
  loinc?: string[] | null;
}

export async function makeItem(db: Database, seed: ItemSeed = {}): Promise<string> {
  const code = seed.code ?? `ITEM-${suffix()}`;
  await db
    .insertInto('items')
    .values({
      code,
      name: seed.name ?? `Item ${code}`,
      name_zh: null,
      category: seed.category ?? 'ct',
      validity_days: seed.validityDays ?? 30,
      negative_list: seed.negativeList ?? false,
      analytes: seed.analytes ?? null,
      prices: JSON.stringify(seed.prices ?? { T1: 300, T2: 250, T3: 200 }),
      minutes_saved: seed.minutesSaved ?? 60,
      radiation_msv: seed.radiationMsv === undefined ? 7 : seed.radiationMsv,
      loinc: seed.loinc ?? null,
      updated_at: new Date(),
    })
    .execute();
  return code;
}

export async function makeScope(
  db: Database,
  seed: { id?: string; level?: string; region?: string | null; members?: string[] | null; items?: string[] | null } = {},
): Promise<string> {
  const id = seed.id ?? `S-${suffix()}`;
  await db
    .insertInto('scopes')
    .values({
      id,
      level: seed.level ?? 'national',
      name: `Scope ${id}`,
      region: seed.region ?? null,
      members: seed.members ?? null,
      items: seed.items ?? null,
      updated_at: new Date(),
    })
    .execute();
  return id;
}

export async function certify(
  db: Database,
  seed: {
    hospitalId: string;
    scopeId: string;
    itemCode?: string | null;
    category?: string | null;
    status?: string;
    effectiveFrom?: Date | string;
  },
): Promise<void> {
  await db
    .insertInto('certification_events')
    .values({
      hospital_id: seed.hospitalId,
      scope_id: seed.scopeId,
      item_code: seed.itemCode ?? null,
      category: seed.category ?? null,
      status: seed.status ?? 'active',
      effective_from: new Date(seed.effectiveFrom ?? '2020-01-01T00:00:00Z'),
      note: null,
      recorded_by: 'test',
    })
    .execute();
}

/** A hospital client with a secret; returns its credentials. */
export async function makeHospitalClient(
  db: Database,
  hospitalId: string,
  scopes: string[] = ['results:write', 'results:read', 'recognition', 'reports:read'],
): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `${hospitalId}-client-${suffix()}`;
  const clientSecret = `secret-${randomBytes(12).toString('hex')}`;
  await db
    .insertInto('clients')
    .values({ client_id: clientId, hospital_id: hospitalId, scopes, secret_hash: await hashSecret(clientSecret), jwks: null })
    .execute();
  return { clientId, clientSecret };
}

export interface ResultSeed {
  hospitalId: string;
  patientKey: string;
  itemCode: string;
  performedAt: Date | string;
  accessionNo?: string;
  status?: string;
  kind?: 'data' | 'images' | 'conclusion';
  imagesAvailable?: boolean | null;
  studyUid?: string | null;
  criticalOpen?: boolean;
  analyteCodes?: string[];
  equipment?: Record<string, unknown> | null;
}

/** A result row written straight to the index (the HTTP path is tested in results tests). */
export async function makeResult(db: Database, seed: ResultSeed): Promise<string> {
  const [row] = await insertNewResults(db, [
    {
      issuing_hospital_id: seed.hospitalId,
      accession_no: seed.accessionNo ?? `ACC-${suffix()}`,
      patient_key: seed.patientKey,
      item_code: seed.itemCode,
      local_code: null,
      kind: seed.kind ?? 'data',
      status: seed.status ?? 'final',
      performed_at: new Date(seed.performedAt),
      reported_at: null,
      images_available: seed.imagesAvailable ?? null,
      study_uid: seed.studyUid === undefined ? '1.2.840.99.1' : seed.studyUid,
      critical_open: seed.criticalOpen ?? false,
      equipment: seed.equipment ? JSON.stringify(seed.equipment) : null,
      analytes: null,
      analyte_codes: seed.analyteCodes ?? [],
      findings: null,
      content_hash: suffix(),
      version: 1,
      updated_at: new Date(),
    },
  ]);
  return row.id;
}

import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { DB, ResultsTable } from '../db/schema.ts';
import { hashSecret } from '../modules/auth/secrets.ts';
import { defaultCatalogue, type CatalogueEntry } from '../modules/registry/default-catalogue.ts';
import { patientKey } from '../modules/results/patient-identity.ts';
import { contentHash, type ResultContent } from '../modules/results/submission.ts';
import { buildDemoProvince, type DemoProvince, type DemoResult } from './province.ts';

type Executor = Kysely<DB> | Transaction<DB>;

// Multi-row inserts of this many rows keep each statement well under PostgreSQL's 65,535 bind
// parameters (results have 20 columns) while loading the province in a handful of round trips.
const CHUNK = 500;
const publishedSecretCost = { N: 1024, r: 8, p: 1 };

export interface DemoLoadSummary {
  loaded: boolean;
  items: number;
  hospitals: number;
  scopes: number;
  certifications: number;
  clients: number;
  patients: number;
  results: number;
  ms: number;
}

/**
 * Upserts the shipped catalogue: the default items get their shipped names, windows and prices
 * back; items a region added itself are left alone. Returns how many items were written.
 */
export async function loadCatalogue(db: Executor, now: Date, catalogue: readonly CatalogueEntry[] = defaultCatalogue): Promise<number> {
  const rows = catalogue.map((entry) => ({
    code: entry.code,
    name: entry.name,
    name_zh: entry.nameZh,
    category: entry.category,
    validity_days: entry.validityDays,
    negative_list: entry.negativeList,
    analytes: entry.analytes,
    prices: JSON.stringify(entry.prices),
    minutes_saved: entry.minutesSaved,
    radiation_msv: entry.radiationMsv,
    loinc: entry.loinc,
    updated_at: now,
  }));
  for (const chunk of chunks(rows)) {
    await db
      .insertInto('items')
      .values(chunk)
      .onConflict((oc) =>
        oc.column('code').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          name_zh: eb.ref('excluded.name_zh'),
          category: eb.ref('excluded.category'),
          validity_days: eb.ref('excluded.validity_days'),
          negative_list: eb.ref('excluded.negative_list'),
          analytes: eb.ref('excluded.analytes'),
          prices: eb.ref('excluded.prices'),
          minutes_saved: eb.ref('excluded.minutes_saved'),
          radiation_msv: eb.ref('excluded.radiation_msv'),
          loinc: eb.ref('excluded.loinc'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  return rows.length;
}

/**
 * Loads the demo province (src/demo/province.ts) into an empty registry, in one transaction: either
 * all of it or nothing. A registry with any hospital is left untouched, so a restart, a second
 * replica or a real deployment never gets demo data mixed in.
 */
export async function loadDemoDataIfEmpty(
  db: Kysely<DB>,
  patientKeySecret: string,
  logger: Pick<Logger, 'info'>,
  now: Date = new Date(),
): Promise<DemoLoadSummary> {
  const started = performance.now();
  const skipped = { loaded: false, items: 0, hospitals: 0, scopes: 0, certifications: 0, clients: 0, patients: 0, results: 0, ms: 0 };
  if (!(await registryIsEmpty(db))) return skipped;

  const province = buildDemoProvince(now);
  // The demo clients' secrets are published (docs/demo.md), so full-cost scrypt (~50 ms each, over
  // 2 s of CPU for the province) would protect nothing; the low cost is recorded in each hash. Hashing
  // runs on libuv's thread pool while the database inserts the rest.
  const hashing = Promise.all(province.clients.map((client) => hashSecret(client.secret, publishedSecretCost)));
  // Never left unhandled if the transaction fails first; the awaited copy below still rejects.
  hashing.catch(() => undefined);
  const prepared = province.results.map((result) => prepareResult(result, patientKeySecret));

  const loaded = await db.transaction().execute(async (trx) => {
    // Two processes starting on one empty database: the second waits here, then finds hospitals.
    await sql`select pg_advisory_xact_lock(hashtext('mre:demo-data'))`.execute(trx);
    if (!(await registryIsEmpty(trx))) return false;
    await loadCatalogue(trx, now, province.catalogue);
    await insertRegistry(trx, province, now);
    await insertResults(trx, prepared);
    const secretHashes = await hashing;
    await insertChunks(
      province.clients.map((client, i) => ({
        client_id: client.clientId,
        hospital_id: client.hospitalId,
        scopes: client.scopes,
        secret_hash: secretHashes[i],
        jwks: null,
        description: 'Demo HIS client (documented demo credentials)',
        created_at: now,
      })),
      (chunk) => trx.insertInto('clients').values(chunk).onConflict((oc) => oc.column('client_id').doNothing()).execute(),
    );
    return true;
  });
  if (!loaded) return skipped;

  const summary: DemoLoadSummary = {
    loaded: true,
    items: province.catalogue.length,
    hospitals: province.hospitals.length,
    scopes: province.scopes.length,
    certifications: province.certifications.length,
    clients: province.clients.length,
    patients: province.patients.length,
    results: province.results.length,
    ms: Math.round(performance.now() - started),
  };
  const { loaded: _loaded, ms, ...counts } = summary;
  logger.info(
    { demoData: counts, ms },
    `Loaded the demo province: ${counts.hospitals} hospitals, ${counts.scopes} scopes, ${counts.certifications} certification events, ${counts.clients} clients, ${counts.patients} patients, ${counts.results} results in ${ms} ms (demo credentials: docs/demo.md)`,
  );
  return summary;
}

async function registryIsEmpty(db: Executor): Promise<boolean> {
  const any = await db.selectFrom('hospitals').select('id').limit(1).executeTakeFirst();
  return any === undefined;
}

async function insertRegistry(trx: Transaction<DB>, province: DemoProvince, now: Date): Promise<void> {
  await insertChunks(
    province.hospitals.map((h) => ({
      id: h.id,
      name: h.name,
      tier: h.tier,
      grade: h.grade,
      province: h.province,
      city: h.city,
      county: h.county,
      price_tier: h.priceTier,
      created_at: now,
      updated_at: now,
    })),
    (chunk) => trx.insertInto('hospitals').values(chunk).execute(),
  );
  await insertChunks(
    province.scopes.map((s) => ({ id: s.id, level: s.level, name: s.name, region: s.region, members: s.members, items: s.items, updated_at: now })),
    (chunk) => trx.insertInto('scopes').values(chunk).execute(),
  );
  await insertChunks(
    province.codeMaps.map((m) => ({ hospital_id: m.hospitalId, local_code: m.localCode, item_code: m.itemCode })),
    (chunk) => trx.insertInto('code_maps').values(chunk).execute(),
  );
  await insertChunks(
    province.certifications.map((c) => ({
      hospital_id: c.hospitalId,
      item_code: c.itemCode,
      category: c.category,
      scope_id: c.scopeId,
      status: c.status,
      effective_from: c.effectiveFrom,
      note: c.note,
      recorded_at: c.recordedAt,
      recorded_by: 'demo-data',
    })),
    (chunk) => trx.insertInto('certification_events').values(chunk).execute(),
  );
}

/**
 * The results row, and its first result_versions row, that the index would hold had the issuing
 * hospital submitted the result once: the same content and hash as the results module computes, so
 * resubmitting a demo result unchanged is answered "unchanged".
 */
function prepareResult(result: DemoResult, secret: string): { row: Insertable<ResultsTable>; content: ResultContent; hash: string } {
  const content: ResultContent = {
    patientKey: patientKey(secret, 'resident_id', result.patientIdNumber),
    itemCode: result.itemCode,
    localCode: null,
    performedAt: result.performedAt.toISOString(),
    reportedAt: result.reportedAt?.toISOString() ?? null,
    status: result.status,
    kind: result.kind,
    imagesAvailable: result.imagesAvailable,
    studyUid: result.studyUid,
    criticalOpen: result.criticalOpen,
    equipment: result.equipment,
    analytes: result.analytes,
    findings: result.findings,
  };
  const hash = contentHash(content);
  const submittedAt = result.reportedAt ?? result.performedAt;
  const row: Insertable<ResultsTable> = {
    issuing_hospital_id: result.issuingHospitalId,
    accession_no: result.accessionNo,
    patient_key: content.patientKey,
    item_code: result.itemCode,
    local_code: null,
    kind: result.kind,
    status: result.status,
    performed_at: result.performedAt,
    reported_at: result.reportedAt,
    images_available: result.imagesAvailable,
    study_uid: result.studyUid,
    critical_open: result.criticalOpen,
    equipment: result.equipment === null ? null : JSON.stringify(result.equipment),
    analytes: result.analytes === null ? null : JSON.stringify(result.analytes),
    analyte_codes: result.analytes?.map((a) => a.code) ?? [],
    findings: result.findings,
    content_hash: hash,
    version: 1,
    created_at: submittedAt,
    updated_at: submittedAt,
  };
  return { row, content, hash };
}

async function insertResults(trx: Transaction<DB>, prepared: ReturnType<typeof prepareResult>[]): Promise<void> {
  for (const chunk of chunks(prepared)) {
    const inserted = await trx
      .insertInto('results')
      .values(chunk.map((p) => p.row))
      .returning(['id', 'issuing_hospital_id', 'accession_no'])
      .execute();
    const ids = new Map(inserted.map((r) => [`${r.issuing_hospital_id} ${r.accession_no}`, r.id]));
    await trx
      .insertInto('result_versions')
      .values(
        chunk.map((p) => ({
          result_id: ids.get(`${p.row.issuing_hospital_id} ${p.row.accession_no}`)!,
          version: 1,
          content: JSON.stringify(p.content),
          content_hash: p.hash,
          recorded_at: p.row.created_at!,
          recorded_by: 'demo-data',
        })),
      )
      .execute();
  }
}

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

async function insertChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (const chunk of chunks(rows)) await insert(chunk);
}

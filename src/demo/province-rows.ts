// The demo province's rows, written straight into an empty registry in the loader's transaction:
// the state the exchange starts its history from (history/ then adds a year through the services).
import type { Insertable, Transaction } from 'kysely';
import type { DB, Results } from '../db/schema.ts';
import { hashSecret } from '../modules/auth/index.ts';
import { patientKey } from '../modules/patients/index.ts';
import { contentHash, insertNewResults, resultRow, type ResultContent } from '../modules/results/index.ts';
import type { DemoCertification, DemoProvince, DemoResult } from './province.ts';

// Multi-row inserts of this many rows keep each statement well under PostgreSQL's 65,535 bind
// parameters (results have 20 columns) while loading the province in a handful of round trips.
const CHUNK = 500;
const publishedSecretCost = { N: 1024, r: 8, p: 1 };

/**
 * The demo clients' secret hashes. The secrets are published (docs/demo.md), so full-cost scrypt
 * (~50 ms each, over 2 s of CPU for the province) would protect nothing; the low cost is recorded in
 * each hash. Hashing runs on libuv's thread pool while the database inserts the rest.
 */
export function hashDemoSecrets(province: DemoProvince): Promise<string[]> {
  const hashing = Promise.all(province.clients.map((client) => hashSecret(client.secret, publishedSecretCost)));
  // Never left unhandled if the transaction fails first; the awaited copy still rejects.
  hashing.catch(() => undefined);
  return hashing;
}

export async function insertClients(trx: Transaction<DB>, province: DemoProvince, secretHashes: string[], now: Date): Promise<void> {
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
    (chunk) =>
      trx
        .insertInto('clients')
        .values(chunk)
        .onConflict((oc) => oc.column('client_id').doNothing())
        .execute(),
  );
}

export async function insertRegistry(
  trx: Transaction<DB>,
  province: DemoProvince,
  certifications: readonly DemoCertification[],
  now: Date,
): Promise<void> {
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
    province.scopes.map((s) => ({
      id: s.id,
      level: s.level,
      name: s.name,
      region: s.region,
      members: s.members,
      items: s.items,
      updated_at: now,
    })),
    (chunk) => trx.insertInto('scopes').values(chunk).execute(),
  );
  await insertChunks(
    province.codeMaps.map((m) => ({ hospital_id: m.hospitalId, local_code: m.localCode, item_code: m.itemCode })),
    (chunk) => trx.insertInto('code_maps').values(chunk).execute(),
  );
  await insertChunks(
    certifications.map((c) => ({
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
export function prepareResult(
  result: DemoResult,
  secret: string,
): { row: Omit<Insertable<Results>, 'id'>; content: ResultContent; hash: string } {
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
  const row = resultRow(
    { accessionNo: result.accessionNo, content, contentHash: hash },
    result.issuingHospitalId,
    result.reportedAt ?? result.performedAt,
  );
  return { row, content, hash };
}

export async function insertResults(trx: Transaction<DB>, prepared: ReturnType<typeof prepareResult>[]): Promise<void> {
  for (const chunk of chunks(prepared)) {
    const inserted = await insertNewResults(
      trx,
      chunk.map((p) => p.row),
    );
    const ids = new Map(inserted.map((r) => [`${r.issuing_hospital_id} ${r.accession_no}`, r.id]));
    await trx
      .insertInto('result_versions')
      .values(
        chunk.map((p) => ({
          result_id: ids.get(`${p.row.issuing_hospital_id} ${p.row.accession_no}`)!,
          patient_key: p.row.patient_key,
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

export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

export async function insertChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (const chunk of chunks(rows)) await insert(chunk);
}

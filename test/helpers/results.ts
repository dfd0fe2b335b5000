import { sql } from 'kysely';
import { expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { generateResidentId } from '../../src/modules/patients/index.ts';
import { bearer, tokenFor } from './auth.ts';
import { makeHospital, makeHospitalClient, makeItem } from './factories.ts';

/** Two hospitals with writer/reader clients, a CT item, a lab panel and a local code map. */
export async function resultsWorld(app: FastifyInstance, db: Database) {
  const hospitalA = await makeHospital(db, { name: 'Hangzhou First People’s Hospital', tier: 'tertiary', city: 'Hangzhou' });
  const hospitalB = await makeHospital(db, { name: 'Ningbo Second Hospital', tier: 'secondary', city: 'Ningbo' });
  const ct = await makeItem(db, { category: 'ct', name: 'Chest CT' });
  const lab = await makeItem(db, { category: 'lab', name: 'Liver panel', analytes: ['ALT', 'AST'], radiationMsv: null });
  const localCode = `LOC-${ct}`;
  await db.insertInto('code_maps').values({ hospital_id: hospitalA, local_code: localCode, item_code: ct }).execute();
  const token = async (hospitalId: string, scopes?: string[]) => {
    const client = await makeHospitalClient(db, hospitalId, scopes);
    return tokenFor(app, client.clientId, client.clientSecret);
  };
  return {
    hospitalA,
    hospitalB,
    ct,
    lab,
    localCode,
    tokenA: await token(hospitalA),
    tokenB: await token(hospitalB),
    token,
  };
}

let sequence = 0;
/** A fresh valid resident ID per call (lower-case x check characters are kept as generated). */
export function residentId(birth = '19800101'): string {
  sequence += 1;
  return generateResidentId(birth, '330106', String(sequence % 1000).padStart(3, '0'));
}

export function ctSubmission(idNumber: string, itemCode: string, overrides: Record<string, unknown> = {}) {
  return {
    patient: { idType: 'resident_id', idNumber },
    itemCode,
    performedAt: '2026-11-20T09:30:00+08:00',
    reportedAt: '2026-11-20T11:00:00+08:00',
    status: 'final',
    studyUid: '1.2.840.113619.2.55.3.604688119',
    equipment: { sliceCount: 64, thinSlice: true, model: 'Revolution' },
    findings: 'No abnormality.',
    ...overrides,
  };
}

export function putResult(app: FastifyInstance, token: string, accessionNo: string, payload: unknown) {
  return app.inject({ method: 'PUT', url: `/v1/results/${accessionNo}`, headers: bearer(token), payload: payload as object });
}

/** Every row of every table in schema public, as JSON text. */
export async function dumpDatabase(db: Database): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const lines: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select row_to_json(t)::text as row from ${sql.table(table_name)} t`.execute(db);
    lines.push(...rows.rows.map((r) => r.row));
  }
  return lines.join('\n');
}

/** Resident ID numbers made for a test file, each remembered, to prove at the end that none is stored or logged. */
export function sentIdNumbers() {
  const sent: string[] = [];
  const patientId = (birth?: string) => {
    const id = residentId(birth);
    sent.push(id);
    return id;
  };
  return { sent, patientId };
}

export function searchResults(app: FastifyInstance, token: string, payload: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/v1/results/search', headers: bearer(token), payload });
}

/**
 * Fails when any of `idNumbers` (patient ID numbers a test file sent) is in the database or in the service's
 * logs, in any spelling. `seen` names an accession number the dump must hold and a path the logs must hold,
 * so that an empty dump or log cannot pass.
 */
export async function expectIdNumbersKeptNowhere(
  ctx: { db: Database; logs: () => string },
  idNumbers: string[],
  seen: { accessionNo: string; path: string },
) {
  const dump = await dumpDatabase(ctx.db);
  expect(dump).toContain(seen.accessionNo);
  const logs = ctx.logs();
  expect(logs).toContain(seen.path);
  for (const idNumber of idNumbers) {
    for (const spelling of [idNumber, idNumber.toUpperCase(), idNumber.toLowerCase(), idNumber.slice(0, 17)]) {
      expect(dump).not.toContain(spelling);
      expect(logs).not.toContain(spelling);
    }
  }
}

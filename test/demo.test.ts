import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { loadDemoDataIfEmpty, type DemoLoadSummary } from '../src/demo/load.ts';
import { buildDemoProvince, demoPatient } from '../src/demo/province.ts';
import { createLogger } from '../src/logger.ts';
import { generateSigningJwk } from '../src/modules/auth/keys.ts';
import { catalogueCodes } from '../src/modules/registry/default-catalogue.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';

const fixedNow = new Date('2026-11-30T02:00:00Z');
const silentLogger = createLogger('silent');
const DAY_MS = 86_400_000;
// Loading the demo plays a year through the services: about ten seconds, twice for the determinism test.
const LOAD_MS = 120_000;

type Counted =
  'hospitals' | 'scopes' | 'certification_events' | 'clients' | 'results' | 'items' | 'recognition_checks' | 'recognition_decisions';

async function tableCount(db: Database, table: Counted): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function rows<T>(db: Database, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** Everything the load wrote that does not depend on generated ids, in a stable order. */
async function digest(db: Database) {
  const results = await db.selectFrom('results').selectAll().orderBy('issuing_hospital_id').orderBy('accession_no').execute();
  return {
    results: results.map(({ id: _id, ...row }) => row),
    checks: await rows(
      db,
      sql`select receiving_hospital_id, practitioner_id, patient_key, context, created_at from recognition_checks order by created_at, receiving_hospital_id`,
    ),
    decisions: await rows(
      db,
      sql`select receiving_hospital_id, item_code, action, reason_code, flagged, yuan, decided_at from recognition_decisions order by decided_at, item_code`,
    ),
    certifications: await rows(
      db,
      sql`select hospital_id, scope_id, status, effective_from, recorded_at from certification_events order by hospital_id, scope_id, effective_from, recorded_at`,
    ),
  };
}

describe('demo province', () => {
  let ctx: TestContext;
  let first: DemoLoadSummary;

  beforeAll(async () => {
    ctx = await createTestContext();
    first = await loadDemoDataIfEmpty(ctx.db, ctx.keys.patientKeySecret, silentLogger, fixedNow);
  }, LOAD_MS);
  afterAll(() => ctx?.close());

  it('loads once; a second load into a populated registry changes nothing', async () => {
    expect(first).toMatchObject({ loaded: true, hospitals: 54, clients: 54 });
    const tables = ['hospitals', 'certification_events', 'clients', 'results', 'recognition_checks', 'recognition_decisions'] as const;
    const before = await Promise.all(tables.map((t) => tableCount(ctx.db, t)));
    const second = await loadDemoDataIfEmpty(ctx.db, ctx.keys.patientKeySecret, silentLogger, new Date(fixedNow.getTime() + DAY_MS));
    expect(second.loaded).toBe(false);
    expect(await Promise.all(tables.map((t) => tableCount(ctx.db, t)))).toEqual(before);
  });

  it('has the promised shape: 40+ hospitals over 4 cities, every scope level, suspensions, a revocation, hundreds of patients', async () => {
    const hospitals = await ctx.db.selectFrom('hospitals').select(['id', 'province', 'city', 'tier', 'price_tier']).execute();
    const zhejiang = hospitals.filter((h) => h.province === 'Zhejiang');
    expect(zhejiang.length).toBeGreaterThanOrEqual(40);
    expect(new Set(zhejiang.map((h) => h.city))).toEqual(new Set(['Hangzhou', 'Ningbo', 'Wenzhou', 'Shaoxing']));
    expect(new Set(hospitals.map((h) => h.tier))).toEqual(new Set(['tertiary', 'secondary', 'primary']));
    expect(hospitals.some((h) => h.price_tier === null)).toBe(true);
    expect(hospitals.filter((h) => h.province !== 'Zhejiang').length).toBeGreaterThanOrEqual(4);

    const scopes = await ctx.db.selectFrom('scopes').selectAll().execute();
    expect(scopes.map((s) => s.level).sort()).toEqual(['alliance', 'city', 'city', 'city', 'city', 'consortium', 'national', 'province']);
    const alliance = scopes.find((s) => s.level === 'alliance')!;
    expect(new Set(hospitals.filter((h) => alliance.members!.includes(h.id)).map((h) => h.province)).size).toBeGreaterThanOrEqual(3);
    expect(alliance.items!.length).toBeGreaterThanOrEqual(25);
    expect(scopes.find((s) => s.level === 'consortium')!.members!.length).toBeGreaterThanOrEqual(3);
    for (const scope of scopes) for (const code of scope.items ?? []) expect(catalogueCodes).toContain(code);

    const events = await ctx.db.selectFrom('certification_events').selectAll().execute();
    expect(events.filter((e) => e.status === 'suspended').length).toBeGreaterThanOrEqual(3);
    const revoked = events.filter((e) => e.status === 'revoked');
    expect(revoked.length).toBeGreaterThan(0);
    // Retroactive: recorded long after it took effect.
    expect(revoked.every((e) => e.recorded_at.getTime() - e.effective_from.getTime() > 100 * DAY_MS)).toBe(true);
    expect(events.some((e) => e.category === 'lab' && e.status === 'active' && e.hospital_id === 'HZ-011')).toBe(true);

    const [patients] = await rows<{ n: number }>(ctx.db, sql`select count(distinct patient_key) as n from results`);
    expect(Number(patients.n)).toBe(first.patients);
    expect(first.patients).toBeGreaterThan(1000);
    const statuses = await ctx.db.selectFrom('results').select('status').distinct().execute();
    expect(statuses.map((s) => s.status)).toEqual(
      expect.arrayContaining(['final', 'preliminary', 'amended', 'corrected', 'cancelled', 'entered-in-error']),
    );
    const results = await ctx.db
      .selectFrom('results')
      .select(['kind', 'study_uid', 'images_available', 'critical_open', 'equipment', 'performed_at'])
      .execute();
    expect(results.some((r) => r.kind === 'conclusion')).toBe(true);
    expect(results.some((r) => r.kind === 'images' && r.images_available === false && r.study_uid === null)).toBe(true);
    expect(results.some((r) => r.critical_open)).toBe(true);
    expect(new Set(results.flatMap((r) => (r.equipment && 'sliceCount' in r.equipment ? [r.equipment.sliceCount] : [])))).toEqual(
      new Set([16, 64, 256]),
    );
    expect(
      results.every((r) => r.performed_at.getTime() < fixedNow.getTime() && r.performed_at.getTime() > fixedNow.getTime() - 401 * DAY_MS),
    ).toBe(true);
  });

  it('issues tokens to the documented demo credentials', async () => {
    const token = await tokenFor(ctx.app, 'NB-001-his', 'demo-NB-001-secret');
    const response = await ctx.app.inject({ url: '/v1/hospitals/HZ-001', headers: bearer(token) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: 'HZ-001', tier: 'tertiary', city: 'Hangzhou', memberships: ['YRD'] });
    await expect(tokenFor(ctx.app, 'NB-001-his', 'demo-HZ-001-secret')).rejects.toThrow(/401/);
  });

  it('supports the documented walk-through at NB-001', async () => {
    ctx.clock.set(fixedNow);
    const token = await tokenFor(ctx.app, 'NB-001-his', 'demo-NB-001-secret');
    const check = await ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: bearer(token),
      payload: {
        practitionerId: 'dr-chen',
        patient: demoPatient,
        purpose: 'treatment',
        items: ['CT-CHEST', 'LAB-CBC', 'LAB-LFT', 'US-ABD'],
      },
    });
    expect(check.statusCode, check.body).toBe(201);
    const body = check.json<{
      checkId: string;
      items: { itemCode: string; candidates: { resultId: string; issuingHospitalId: string; outcome: string; reasons: string[] }[] }[];
    }>();
    const outcomes = Object.fromEntries(
      body.items.map((i) => [i.itemCode, i.candidates.map((c) => [c.issuingHospitalId, c.outcome, ...c.reasons])]),
    );
    expect(outcomes).toEqual({
      'CT-CHEST': [['HZ-001', 'RECOGNIZABLE']],
      'LAB-CBC': [['HZ-005', 'RECOGNIZABLE']],
      'LAB-LFT': [['SX-002', 'NOT_RECOGNIZABLE', 'NR_EXPIRED']],
      'US-ABD': [['WZ-008', 'NOT_RECOGNIZABLE', 'NR_ISSUER_REVOKED']],
    });

    const resultOf = (itemCode: string) => body.items.find((i) => i.itemCode === itemCode)!.candidates[0].resultId;
    const decisions = await ctx.app.inject({
      method: 'POST',
      url: `/v1/recognition-checks/${body.checkId}/decisions`,
      headers: bearer(token),
      payload: {
        decisions: [
          { resultId: resultOf('CT-CHEST'), action: 'recognized' },
          { resultId: resultOf('LAB-CBC'), action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' },
        ],
      },
    });
    expect(decisions.statusCode).toBe(201);
    expect(decisions.json().decisions).toMatchObject([
      { itemCode: 'CT-CHEST', action: 'recognized', flagged: false, savings: { yuan: 350, minutes: 60, radiationMsv: 7 } },
      { itemCode: 'LAB-CBC', action: 'declined', reasonCode: 'D1_CONDITION_CHANGED', flagged: true },
    ]);
    ctx.clock.release();
  });

  it('stores demo results as the index would: resubmitting one unchanged changes nothing', async () => {
    const cbc = buildDemoProvince(fixedNow).results.find((r) => r.accessionNo === 'HZ-005-DEMO-0001')!;
    ctx.clock.set(fixedNow);
    const token = await tokenFor(ctx.app, 'HZ-005-his', 'demo-HZ-005-secret');
    const response = await ctx.app.inject({
      method: 'PUT',
      url: `/v1/results/${cbc.accessionNo}`,
      headers: bearer(token),
      payload: {
        patient: demoPatient,
        itemCode: cbc.itemCode,
        performedAt: cbc.performedAt.toISOString(),
        reportedAt: cbc.reportedAt!.toISOString(),
        status: cbc.status,
        analytes: cbc.analytes,
      },
    });
    ctx.clock.release();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ outcome: 'unchanged', version: 1 });
  });

  it('stores no resident ID number in clear, in any table', async () => {
    const idNumbers = buildDemoProvince(fixedNow).patients;
    expect(idNumbers).toContain(demoPatient.idNumber);
    const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(ctx.db);
    expect(tables.rows.map((t) => t.name)).toContain('results');
    for (const { name } of tables.rows) {
      const dump = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(ctx.db);
      const text = dump.rows.map((r) => r.row).join('\n');
      const leaked = idNumbers.filter((id) => text.includes(id) || text.includes(id.slice(0, 17)));
      expect(leaked, `table ${name}`).toEqual([]);
    }
    expect(ctx.logs()).not.toContain(demoPatient.idNumber);
  });

  it(
    'is deterministic: a second fresh database with the same clock gets the same results, checks, decisions and certifications',
    async () => {
      const other = await createTestContext();
      try {
        await loadDemoDataIfEmpty(other.db, other.keys.patientKeySecret, silentLogger, fixedNow);
        const theirs = await digest(other.db);
        // This file's database has had the walk-through since: compare what the demo wrote.
        const mine = await digest(ctx.db);
        const demoPart = (d: typeof mine) => ({
          ...d,
          checks: d.checks.slice(0, theirs.checks.length),
          decisions: d.decisions.slice(0, theirs.decisions.length),
        });
        expect(theirs.results.length).toBe(mine.results.length);
        expect(demoPart(mine)).toEqual(theirs);
      } finally {
        await other.close();
      }
    },
    LOAD_MS,
  );
});

describe('DEMO_DATA default', () => {
  it('is on for the embedded database and off for PostgreSQL unless set explicitly', async () => {
    const postgres = {
      DATABASE_URL: 'postgres://exchange@db:5432/exchange',
      PATIENT_KEY_SECRET: 'p'.repeat(32),
      AUTH_SIGNING_KEY: JSON.stringify(await generateSigningJwk()),
    };
    expect(loadConfig({}).demoData).toBe(true);
    expect(loadConfig({ DEMO_DATA: 'off' }).demoData).toBe(false);
    expect(loadConfig(postgres).demoData).toBe(false);
    expect(loadConfig({ ...postgres, DEMO_DATA: 'auto' }).demoData).toBe(true);
  });
});

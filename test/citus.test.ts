import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distributedTables, referenceTables } from '../src/db/citus.ts';
import { generateResidentId } from '../src/modules/patients/index.ts';
import { catchUp, vacuumQueue } from '../src/modules/reports/index.ts';
import { auditedRequest, patientOfCheck } from './helpers/audit.ts';
import { adminToken, bearer, tokenFor } from './helpers/auth.ts';
import { createCitusDatabase } from './helpers/citus.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { ctSubmission } from './helpers/results.ts';

/**
 * The service on a Citus cluster (docs/scaling.md): `npm run migrate` in Citus mode on a fresh
 * database of the cluster CITUS_URL names (its coordinator, with the workers added), then the main
 * contract through the app. Skipped without CITUS_URL.
 */
const citusUrl = process.env.CITUS_URL;
if (!citusUrl) {
  process.stdout.write(
    'test/citus.test.ts: skipped, CITUS_URL is not set (postgres://…/postgres of a Citus coordinator with its workers added; docs/scaling.md)\n',
  );
}

const migrate = (databaseUrl: string) =>
  promisify(execFile)(process.execPath, ['scripts/migrate.ts', '--citus'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: 'memory' },
  });

describe('npm run migrate -- --citus', () => {
  it('refuses a database without the citus extension, before migrating it', async () => {
    // With DATABASE_URL: that server's database, which has no citus; without: the embedded database.
    const refused = await promisify(execFile)(process.execPath, ['scripts/migrate.ts', '--citus'], {
      env: { ...process.env, DATA_DIR: 'memory' },
    }).then(
      () => null,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(
      process.env.DATABASE_URL ? /--citus was given, but the database has no citus extension/ : /--citus needs DATABASE_URL/,
    );
    expect(refused?.stdout).toBe('');
  }, 60_000);
});

describe.skipIf(!citusUrl)('on a Citus cluster', () => {
  let cluster: { url: string; drop: () => Promise<void> };
  let ctx: TestContext;
  let firstRun: string;
  let secondRun: string;
  const now = new Date('2026-11-25T02:00:00Z');
  const idNumber = generateResidentId('19800101', '330106', '417');
  let admin: Record<string, string>;
  let receiverAuth: Record<string, string>;
  let issuerAuth: Record<string, string>;

  beforeAll(async () => {
    cluster = await createCitusDatabase(citusUrl!);
    firstRun = (await migrate(cluster.url)).stdout;
    secondRun = (await migrate(cluster.url)).stdout;
    ctx = await createTestContext({}, { databaseUrl: cluster.url });
    ctx.clock.set(now);
    admin = bearer(await adminToken(ctx.app));
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
    await cluster?.drop();
  });

  it('places the registry in reference tables, the check log by check id and the results by patient key, once', async () => {
    expect(firstRun).toContain('Citus: reference tables (a copy on every node): hospitals (now)');
    expect(firstRun).toContain('Citus: distributed, co-located by check id: recognition_checks.id (now)');
    expect(firstRun).toContain(
      'Citus: distributed, co-located by patient key: results.patient_key (now), result_versions.patient_key (now)',
    );
    expect(firstRun).toContain('Citus: distributed, co-located by accession number: result_accessions.accession_no (now)');
    expect(firstRun).toContain('Citus: distributed, co-located by client id: idempotency_keys.client_id (now)');
    expect(secondRun).toContain('The database is up to date');
    expect(secondRun).not.toContain('(now)');
    const { rows } = await sql<{ table: string; method: string; replication: string; column: string | null; colocation: number }>`
      select logicalrelid::text as table, partmethod as method, repmodel as replication,
             case when partmethod = 'h' then column_to_column_name(logicalrelid, partkey) end as column, colocationid as colocation
      from pg_dist_partition order by 1`.execute(ctx.db);
    const placed = new Map(rows.map((r) => [r.table, r]));
    for (const table of referenceTables) expect(placed.get(table), table).toMatchObject({ method: 'n', replication: 't' });
    for (const { table, column } of distributedTables) expect(placed.get(table), table).toMatchObject({ method: 'h', column });
    const groups = Map.groupBy(distributedTables, (d) => d.group);
    for (const tables of groups.values()) expect(new Set(tables.map(({ table }) => placed.get(table)!.colocation)).size).toBe(1);
    expect(new Set([...groups.values()].map(([anchor]) => placed.get(anchor.table)!.colocation)).size).toBe(groups.size);
    for (const table of ['registry_version', 'recalls', 'agg_rollup']) {
      expect(placed.has(table), table).toBe(false);
    }
  });

  it('registers, takes results, checks, decides and reports', async () => {
    const put = (url: string, payload: object) => ctx.app.inject({ method: 'PUT', url, headers: admin, payload });
    const hospital = { tier: 'tertiary', grade: 'A', province: 'Zhejiang', priceTier: 'T2' };
    expect((await put('/v1/hospitals/CT-RECEIVER', { ...hospital, name: 'Ningbo Second', city: 'Ningbo' })).statusCode).toBe(201);
    expect((await put('/v1/hospitals/CT-ISSUER', { ...hospital, name: 'Hangzhou First', city: 'Hangzhou' })).statusCode).toBe(201);
    const item = { name: 'Chest CT', category: 'ct', validityDays: 30, prices: { T1: 320, T2: 280 }, minutesSaved: 60, radiationMsv: 7 };
    expect((await put('/v1/items/CT-CHEST', item)).statusCode).toBe(201);
    expect((await put('/v1/scopes/CT-NATIONAL', { level: 'national', name: 'National' })).statusCode).toBe(201);
    const certified = await ctx.app.inject({
      method: 'POST',
      url: '/v1/hospitals/CT-ISSUER/certifications',
      headers: admin,
      payload: { scopeId: 'CT-NATIONAL', status: 'active', effectiveFrom: '2020-01-01T00:00:00Z' },
    });
    expect(certified.statusCode).toBe(201);
    receiverAuth = await clientOf('CT-RECEIVER');
    issuerAuth = await clientOf('CT-ISSUER');

    const submitted = await submit(idNumber);
    expect(submitted.statusCode).toBe(201);
    const resultId = submitted.json<{ resultId: string }>().resultId;

    // The check's write (with its audit event and queue entry) goes to its shard alone, in one phase: Citus records no two-phase commit for it.
    await sql`select recover_prepared_transactions()`.execute(ctx.db);
    const checked = await check();
    expect(checked.statusCode).toBe(201);
    expect(await twoPhaseCommits()).toBe(0);
    const { checkId, items } = checked.json();
    expect(items[0].candidates).toEqual([
      expect.objectContaining({ resultId, outcome: 'RECOGNIZABLE', savings: { yuan: 280, minutes: 60, radiationMsv: 7 } }),
    ]);

    const decided = await decide(checkId, receiverAuth, { decisions: [{ resultId, action: 'recognized' }] });
    expect(decided.statusCode).toBe(201);
    expect(decided.json().decisions[0]).toMatchObject({ action: 'recognized', savings: { yuan: 280 } });
    // The decision, its audit event and queue entry are written on the check's shard alone, in one phase.
    expect(await twoPhaseCommits()).toBe(0);
    const repeated = await decide(checkId, receiverAuth, {
      decisions: [{ resultId, action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' }],
    });
    expect(repeated.statusCode).toBe(409);
    // Another hospital's decision on the check is refused, and audited under the check's patient with the
    // check's route: on the check's shard, in one phase.
    const refused = await decide(checkId, issuerAuth, { decisions: [{ resultId, action: 'recognized' }] });
    expect(refused.statusCode).toBe(403);
    expect(await auditedRequest(ctx.db, refused.headers['x-request-id'] as string)).toMatchObject({
      action: 'recognition.decision',
      outcome: 'refused',
      check_id: checkId,
      route: checkId,
      patient_key: await patientOfCheck(ctx.db, checkId),
    });
    expect(await twoPhaseCommits()).toBe(0);

    // The check log and the results went to the workers' shards.
    for (const table of ['recognition_checks', 'results', 'result_accessions']) {
      const { rows: shards } = await sql<{ groups: number[] }>`
        select array_agg(distinct n.groupid order by n.groupid) as groups
        from citus_shards s join pg_dist_node n on n.nodename = s.nodename and n.nodeport = s.nodeport
        where s.table_name = ${table}::regclass`.execute(ctx.db);
      expect(
        shards[0].groups.every((g) => g !== 0),
        table,
      ).toBe(true);
    }

    await catchUp(ctx.db);
    // The aggregator's own vacuum of its queue reaches the queue's shards on the workers.
    await vacuumQueue(ctx.db);
    const report = await ctx.app.inject({ url: '/v1/reports/savings?from=2026-11-25&to=2026-11-26&groupBy=day', headers: admin });
    expect(report.statusCode).toBe(200);
    expect(report.json().totals).toMatchObject({ checks: 1, checksWithRecognizable: 1, recognitions: 1, yuan: 280, patients: 1 });
    // A corrected city: its roll-up rows recounted on the coordinator, with the registry's copy locked there.
    expect((await put('/v1/hospitals/CT-RECEIVER', { ...hospital, name: 'Ningbo Second', city: 'Zhoushan' })).statusCode).toBe(200);
    const byCity = await ctx.app.inject({ url: '/v1/reports/savings?from=2026-11-25&to=2026-11-26&groupBy=city', headers: admin });
    expect(byCity.json().rows).toEqual([expect.objectContaining({ key: 'Zhoushan', recognitions: 1, yuan: 280 })]);
  });

  it('judges the next check with a registry change made through any copy of the registry', async () => {
    const { rows: before } = await sql<{ version: number }>`select version from registry_version`.execute(ctx.db);
    // A retroactive suspension: the next check refuses the result, and the recognition made is recalled.
    const suspended = await ctx.app.inject({
      method: 'POST',
      url: '/v1/hospitals/CT-ISSUER/certifications',
      headers: admin,
      payload: { scopeId: 'CT-NATIONAL', status: 'suspended', effectiveFrom: '2026-11-01T00:00:00Z', note: 'failed EQA' },
    });
    expect(suspended.statusCode).toBe(201);
    const { rows: after } = await sql<{ version: number }>`select version from registry_version`.execute(ctx.db);
    expect(after[0].version).toBe(before[0].version + 1);
    const candidate = (await check()).json().items[0].candidates[0];
    expect(candidate).toMatchObject({ outcome: 'NOT_RECOGNIZABLE' });
    expect(candidate.reasons).toContain('NR_ISSUER_SUSPENDED');
    const recalls = await ctx.app.inject({ url: '/v1/recalls', headers: receiverAuth });
    expect(recalls.statusCode).toBe(200);
    expect(recalls.json().recalls).toEqual([expect.objectContaining({ cause: 'certification', reasons: ['NR_ISSUER_SUSPENDED'] })]);
  });

  it("keeps an Idempotency-Key's answer on the client's shard, replays it, and refuses a reuse for another request", async () => {
    const keyed = (payload?: object) =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/recognition-checks',
        headers: { ...receiverAuth, 'idempotency-key': 'citus-key-1' },
        payload: payload ?? {
          practitionerId: 'DR-1',
          patient: { idType: 'resident_id', idNumber },
          items: ['CT-CHEST'],
          purpose: 'treatment',
        },
      });
    const first = await keyed();
    expect(first.statusCode).toBe(201);
    const again = await keyed();
    expect(again.statusCode).toBe(201);
    expect(again.json().checkId).toBe(first.json().checkId);
    const other = await keyed({
      practitionerId: 'DR-2',
      patient: { idType: 'resident_id', idNumber },
      items: ['CT-CHEST'],
      purpose: 'treatment',
    });
    expect(other.statusCode).toBe(422);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from recognition_checks where id = ${first.json().checkId}`.execute(ctx.db);
    expect(rows[0].n).toBe(1);
    // Six at once with a new key: one check; each other replays it, or is 409 while the first still runs.
    const racing = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() =>
        ctx.app.inject({
          method: 'POST',
          url: '/v1/recognition-checks',
          headers: { ...receiverAuth, 'idempotency-key': 'citus-key-2' },
          payload: { practitionerId: 'DR-3', patient: { idType: 'resident_id', idNumber }, items: ['CT-CHEST'], purpose: 'treatment' },
        }),
      ),
    );
    for (const response of racing) {
      expect([201, 409]).toContain(response.statusCode);
      if (response.statusCode === 409) expect(response.json().type).toMatch(/\/idempotency-key-in-use$/);
    }
    const { rows: raced } = await sql<{ n: number }>`
      select count(*)::int as n from recognition_checks where practitioner_id = 'DR-3'`.execute(ctx.db);
    expect(raced[0].n).toBe(1);
  });

  it("reads a result back by accession, and moves it to a corrected patient's shard with its history", async () => {
    const read = await ctx.app.inject({ url: '/v1/results/ACC-CITUS-1', headers: issuerAuth });
    expect(read.statusCode).toBe(200);
    const resultId = read.json().resultId;
    const corrected = generateResidentId('19900202', '330106', '518');
    const moved = await submit(corrected);
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ resultId, outcome: 'updated', version: 2 });
    expect((await check()).json().items[0].candidates).toEqual([]);
    expect((await check(corrected)).json().items[0].candidates).toEqual([expect.objectContaining({ resultId })]);
    const history = await ctx.app.inject({ url: '/v1/results/ACC-CITUS-1/history', headers: issuerAuth });
    expect(history.json().versions.map((v: { changedFields: string[] }) => v.changedFields)).toEqual([[], ['patient']]);
    const { rows } = await sql<{ results: number; versions: number }>`
      select (select count(*)::int from results) as results, (select count(*)::int from result_versions) as versions`.execute(ctx.db);
    expect(rows[0]).toEqual({ results: 1, versions: 2 });

    // A read by id names no patient: two days on, past what the checks above disclosed, it finds the moved
    // result and the receiver's recognition of it, each on whichever shard holds it.
    ctx.clock.set(new Date(now.getTime() + 2 * 86_400_000));
    try {
      admin = bearer(await adminToken(ctx.app));
      const doctor = { ...(await clientOf('CT-RECEIVER')), 'x-practitioner-id': 'DR-1' };
      const readById = (id: string) => ctx.app.inject({ url: `/fhir/r4/DiagnosticReport/${id}`, headers: doctor });
      const byId = await readById(resultId);
      expect(byId.statusCode).toBe(200);
      expect(byId.json()).toMatchObject({ id: resultId, meta: { versionId: '2' }, identifier: [{ value: 'ACC-CITUS-1' }] });
      expect((await readById('0193a5f0-0000-7000-8000-000000000000')).statusCode).toBe(404);
      // A hospital that never saw the patient is answered as if the result did not exist, and the refusal
      // is audited under the result and its patient, found on whichever shard holds them.
      const third = { tier: 'secondary', grade: 'A', province: 'Zhejiang', priceTier: 'T1', name: 'Wenzhou Third', city: 'Wenzhou' };
      expect((await ctx.app.inject({ method: 'PUT', url: '/v1/hospitals/CT-THIRD', headers: admin, payload: third })).statusCode).toBe(201);
      const stranger = { ...(await clientOf('CT-THIRD')), 'x-practitioner-id': 'DR-3' };
      const refused = await ctx.app.inject({ url: `/fhir/r4/DiagnosticReport/${resultId}`, headers: stranger });
      expect(refused.statusCode).toBe(404);
      const { patient_key } = await ctx.db.selectFrom('results').select('patient_key').where('id', '=', resultId).executeTakeFirstOrThrow();
      expect(await auditedRequest(ctx.db, refused.headers['x-request-id'] as string)).toMatchObject({
        action: 'results.read',
        outcome: 'refused',
        hospital_id: 'CT-THIRD',
        patient_key,
        result_ids: [resultId],
      });
    } finally {
      ctx.clock.set(now);
    }
  });

  /** A new client of the hospital, registered by the administrator, and its token's header. */
  async function clientOf(hospitalId: string) {
    const registered = await ctx.app.inject({ method: 'POST', url: `/v1/hospitals/${hospitalId}/clients`, headers: admin, payload: {} });
    expect(registered.statusCode).toBe(201);
    const { clientId, clientSecret } = registered.json<{ clientId: string; clientSecret: string }>();
    return bearer(await tokenFor(ctx.app, clientId, clientSecret));
  }

  /** The issuer submits its chest CT ACC-CITUS-1 for a patient. */
  function submit(patient: string) {
    return ctx.app.inject({
      method: 'PUT',
      url: '/v1/results/ACC-CITUS-1',
      headers: issuerAuth,
      payload: ctSubmission(patient, 'CT-CHEST'),
    });
  }

  function decide(checkId: string, headers: Record<string, string>, payload: object) {
    return ctx.app.inject({ method: 'POST', url: `/v1/recognition-checks/${checkId}/decisions`, headers, payload });
  }

  /** The two-phase commits Citus has recorded (and not yet recovered). */
  async function twoPhaseCommits() {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_dist_transaction`.execute(ctx.db);
    return rows[0].n;
  }

  function check(patient = idNumber) {
    return ctx.app.inject({
      method: 'POST',
      url: '/v1/recognition-checks',
      headers: receiverAuth,
      payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber: patient }, items: ['CT-CHEST'], purpose: 'treatment' },
    });
  }
});

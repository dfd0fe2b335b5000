import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Prepared } from '../src/db/database.ts';
import { createCheckStore } from '../src/modules/recognition/check-store.ts';
import { createRegistrySnapshots } from '../src/modules/registry/index.ts';
import { catchUp, drainOnce, rebuildAggregates } from '../src/modules/reports/aggregator.ts';
import { generateResidentId, patientKey } from '../src/modules/patients/index.ts';
import { bearer, tokenFor } from './helpers/auth.ts';
import { createTestContext, patientKeySecret, usingPostgres, type TestContext } from './helpers/context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeResult, makeScope } from './helpers/factories.ts';

let ctx: TestContext;
let auth: Record<string, string>;
let items: string[];
let receiver: string;
let issuer: string;
const patients = Array.from({ length: 12 }, (_, i) => generateResidentId('19900101', '330106', String(i + 1).padStart(3, '0')));

beforeAll(async () => {
  ctx = await createTestContext();
  receiver = await makeHospital(ctx.db, { city: 'Ningbo' });
  issuer = await makeHospital(ctx.db);
  await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db) });
  items = [await makeItem(ctx.db, { category: 'ct' }), await makeItem(ctx.db, { category: 'lab', radiationMsv: null })];
  for (const idNumber of patients) {
    const key = patientKey(patientKeySecret, 'resident_id', idNumber);
    for (const itemCode of items)
      await makeResult(ctx.db, {
        hospitalId: issuer,
        patientKey: key,
        itemCode,
        kind: 'images',
        performedAt: new Date(Date.now() - 86_400_000),
      });
  }
  const client = await makeHospitalClient(ctx.db, receiver);
  auth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
});
afterAll(() => ctx.close());

describe('checks and decisions running at once', () => {
  it('all succeed on the same hospital and items while the aggregator drains, and the aggregates equal a recount', async () => {
    const check = (idNumber: string) =>
      ctx.app.inject({
        method: 'POST',
        url: '/v1/recognition-checks',
        headers: auth,
        payload: { practitionerId: 'DR-1', patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment' },
      });
    const first = await Promise.all(patients.slice(0, 6).map(check));
    expect(first.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    // Decisions on the first checks race with new checks touching the same aggregate rows.
    const responses = await Promise.all([
      ...first.map((r) => {
        const body = r.json();
        const decisions = body.items.map((i: { candidates: { resultId: string }[] }, n: number) =>
          n === 0
            ? { resultId: i.candidates[0].resultId, action: 'recognized' }
            : { resultId: i.candidates[0].resultId, action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' },
        );
        return ctx.app.inject({
          method: 'POST',
          url: `/v1/recognition-checks/${body.checkId}/decisions`,
          headers: auth,
          payload: { decisions },
        });
      }),
      ...patients.slice(6).map(check),
      // The aggregator counts the queue while checks and decisions keep adding to it.
      ...Array.from({ length: 4 }, () => drainOnce(ctx.db, 2).then(() => ({ statusCode: 'drained' }))),
    ]);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([...Array(12).fill(201), ...Array(4).fill('drained')]);
    const rollup = async () => (await sql`select * from agg_rollup order by dimension, local_day, dim_value`.execute(ctx.db)).rows;
    await catchUp(ctx.db);
    const incremental = await rollup();
    await rebuildAggregates(ctx.db);
    expect(await rollup()).toEqual(incremental);
  });

  // Shared: one read and one write for the checks of the moment; routed (on Citus): a read and a write a
  // check, naming its patient and its id.
  it.each(['shared', 'routed'] as const)(
    'shares statements among checks made at the same moment unless routed, each check keeping its own rows (%s)',
    async (form) => {
      const statements: { name: string; rows: number }[] = [];
      const spy: Prepared = async (name, query) => {
        const rows = await ctx.database.prepared(name, query);
        statements.push({ name, rows: rows.length });
        return rows;
      };
      const store = createCheckStore(ctx.db, spy, createRegistrySnapshots(ctx.db), { routed: async () => form === 'routed' });
      const keys = patients.slice(0, 5).map((idNumber) => patientKey(patientKeySecret, 'resident_id', idNumber));
      const now = new Date();
      const facts = await Promise.all(keys.map((key) => store.loadFacts(receiver, items, key, now)));
      expect(facts.map((f) => f.candidates.length)).toEqual(Array(5).fill(2));
      // Checks of different sizes, so that a row given to the wrong check would show.
      const checks = keys.map((key, n) => ({
        origin: { sourceAddress: '127.0.0.1', requestId: `request-${n}` },
        query: { items },
        receiverId: receiver,
        clientId: `client-${n}`,
        practitionerId: `DR-${n}`,
        patientKey: key,
        purpose: 'treatment',
        context: {},
        ruleSetVersion: 1,
        now,
        items: items.slice(0, 1 + (n % 2)).map((itemCode) => ({ itemCode, hasRecognizable: false })),
        idempotency:
          n === 4 ? { clientId: 'client-4', key: `key-${form}`, requestHash: 'hash', response: { receiverId: receiver } } : undefined,
        candidates: facts[n].candidates.slice(0, n % 3).map(({ result }) => ({
          itemCode: items[0],
          resultId: result.id,
          issuingHospitalId: issuer,
          outcome: 'NOT_RECOGNIZABLE',
          retestPermitted: true,
          reasons: [`R${n}`],
          advisories: [],
          yuan: n,
          minutes: 0,
          radiationMsv: 0,
        })),
      }));
      const ids = await Promise.all(checks.map((check) => store.record(check)));
      // Shared: one read for the five patients (one row: the registry version and their results) and one
      // write (a row per check). Routed: a read of each patient's results (the version read apart) and a
      // write of each check, not prepared by name.
      expect(statements).toEqual(
        form === 'shared'
          ? [
              { name: 'recognition_check_candidates', rows: 1 },
              { name: 'recognition_check_record', rows: 5 },
            ]
          : Array(5).fill({ name: 'recognition_check_candidates_routed', rows: 1 }),
      );
      const queued = await sql<{ check_id: string }>`select check_id from agg_pending where check_id = any(${ids}::uuid[])`.execute(ctx.db);
      expect(queued.rows.map((r) => r.check_id).sort()).toEqual([...ids].sort());
      const answer = await sql<{ response: Record<string, unknown> }>`
      select response from idempotency_keys where client_id = 'client-4' and idempotency_key = ${`key-${form}`}`.execute(ctx.db);
      expect(answer.rows).toEqual([{ response: { checkId: ids[4], receiverId: receiver } }]);
      expect(new Set(ids).size).toBe(5);
      for (const [n, id] of ids.entries()) {
        const stored = await sql<{
          client_id: string;
          patient_key: string;
          items: string[];
          results: string[];
          reasons: string[];
          audited: string[];
        }>`
        select c.client_id, c.patient_key,
          array(select item_code from check_items where check_id = c.id order by position) as items,
          array(select result_id::text from check_candidates where check_id = c.id order by result_id) as results,
          array(select unnest(reasons) from check_candidates where check_id = c.id) as reasons,
          array(select unnest(result_ids)::text from audit_events where check_id = c.id order by 1) as audited
        from recognition_checks c where c.id = ${id}`.execute(ctx.db);
        const candidates = checks[n].candidates.map((c) => c.resultId).sort();
        expect(stored.rows).toEqual([
          {
            client_id: `client-${n}`,
            patient_key: keys[n],
            items: checks[n].items.map((i) => i.itemCode),
            results: candidates,
            reasons: candidates.map(() => `R${n}`),
            audited: candidates,
          },
        ]);
      }
    },
  );

  it.each(['shared', 'routed'] as const)(
    'judges a result with a registry at least as new as the read that found it, its issuer registered since the snapshot held (%s)',
    async (form) => {
      const snapshots = createRegistrySnapshots(ctx.db);
      const store = createCheckStore(ctx.db, ctx.database.prepared, snapshots, { routed: async () => form === 'routed' });
      const held = await snapshots.current();
      const newcomer = await makeHospital(ctx.db);
      expect(held.hospitals.has(newcomer)).toBe(false);
      const key = patientKey(patientKeySecret, 'resident_id', patients[11]);
      const resultId = await makeResult(ctx.db, {
        hospitalId: newcomer,
        patientKey: key,
        itemCode: items[0],
        kind: 'images',
        performedAt: new Date(Date.now() - 86_400_000),
      });
      const facts = await store.loadFacts(receiver, items, key, new Date());
      expect(facts.candidates.find((c) => c.result.id === resultId)?.issuer.id).toBe(newcomer);
    },
  );

  // PostgreSQL plans a prepared statement anew at each execution while that custom plan looks cheaper
  // than the plan it would keep; the check's statements must be planned once per connection.
  it.skipIf(!usingPostgres)('plans the check’s read and write once per connection, not at every execution (PostgreSQL)', async () => {
    // Enough other patients' results, analysed, for the estimates of a read to depend on the keys it names.
    await sql`
      insert into results (id, issuing_hospital_id, accession_no, patient_key, item_code, kind, status, performed_at, content_hash)
      select gen_random_uuid(), ${issuer}, 'PLANNED-' || g, 'planned-patient-' || g % 2000, ${items[1]}, 'data', 'final',
        now() - g % 1000 * interval '1 day', 'hash'
      from generate_series(1, 20000) g`.execute(ctx.db);
    await sql`analyze results`.execute(ctx.db);
    const database = await openDatabase({ ...ctx.config.database, url: ctx.databaseUrl, poolSize: 1 });
    try {
      const store = createCheckStore(database.db, database.prepared, createRegistrySnapshots(database.db));
      const now = new Date();
      for (const [n, idNumber] of patients.entries()) {
        const key = patientKey(patientKeySecret, 'resident_id', idNumber);
        const facts = await store.loadFacts(receiver, items, key, now);
        await store.record({
          origin: { sourceAddress: '127.0.0.1', requestId: `planned-${n}` },
          query: { items },
          receiverId: receiver,
          clientId: 'client-planned',
          practitionerId: 'DR-1',
          patientKey: key,
          purpose: 'treatment',
          context: {},
          ruleSetVersion: facts.ruleSet.version,
          now,
          items: items.map((itemCode) => ({ itemCode, hasRecognizable: false })),
          candidates: [],
        });
      }
      // One connection: the statements above were prepared on the session this reads.
      const plans = await sql<{ name: string; generic_plans: number; custom_plans: number }>`
        select name, generic_plans, custom_plans from pg_prepared_statements where name like 'recognition_check_%' order by name`.execute(
        database.db,
      );
      // Five custom plans first, as PostgreSQL does; then the kept plan for every other execution.
      expect(plans.rows).toEqual([
        { name: 'recognition_check_candidates', generic_plans: patients.length - 5, custom_plans: 5 },
        { name: 'recognition_check_record', generic_plans: patients.length - 5, custom_plans: 5 },
      ]);
    } finally {
      await database.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital } from './helpers/factories.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

describe('overlapping transactions', () => {
  it('let exactly one of two concurrent token requests with the same assertion jti succeed', async () => {
    const hospitalId = await makeHospital(ctx.db);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const clientId = `${hospitalId}-jwt`;
    const kid = 'k1';
    await ctx.db
      .insertInto('clients')
      .values({
        client_id: clientId,
        hospital_id: hospitalId,
        scopes: ['recognition'],
        secret_hash: null,
        jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256' }] }),
      })
      .execute();

    for (let round = 0; round < 5; round++) {
      const jti = randomUUID();
      // Two distinct assertions (different iat) sharing one jti, sent at the same time.
      const assertions = await Promise.all(
        [0, 1].map((offset) =>
          new SignJWT({})
            .setProtectedHeader({ alg: 'ES256', kid })
            .setIssuer(clientId)
            .setSubject(clientId)
            .setAudience(`${ctx.config.publicUrl}/v1/oauth/token`)
            .setIssuedAt(Math.floor(Date.now() / 1000) - offset)
            .setExpirationTime('2m')
            .setJti(jti)
            .sign(privateKey),
        ),
      );
      const responses = await Promise.all(
        assertions.map((assertion) =>
          ctx.app.inject({
            method: 'POST',
            url: '/v1/oauth/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: assertion,
            }).toString(),
          }),
        ),
      );
      expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 401]);
      expect(responses.find((r) => r.statusCode === 401)?.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('serialise read-modify-write transactions under select … for update', async () => {
    // A scratch table; the test database is this file's own.
    const db = ctx.db as unknown as Kysely<{ test_counters: { id: string; value: number } }>;
    await sql`create table if not exists test_counters (id text primary key, value integer not null)`.execute(db);
    await db.insertInto('test_counters').values({ id: 'c', value: 0 }).execute();

    const workers = 24;
    await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        db.transaction().execute(async (trx) => {
          const row = await trx.selectFrom('test_counters').select('value').where('id', '=', 'c').forUpdate().executeTakeFirstOrThrow();
          // Hold the row across an await, so that without the lock the writes would be lost.
          await sleep(i % 3);
          await trx
            .updateTable('test_counters')
            .set({ value: row.value + 1 })
            .where('id', '=', 'c')
            .execute();
        }),
      ),
    );
    const final = await db.selectFrom('test_counters').select('value').where('id', '=', 'c').executeTakeFirstOrThrow();
    expect(final.value).toBe(workers);
  });

  it('roll back a failed transaction without disturbing the ones around it', async () => {
    const db = ctx.db as unknown as Kysely<{ test_counters: { id: string; value: number } }>;
    await sql`create table if not exists test_counters (id text primary key, value integer not null)`.execute(db);
    await db.insertInto('test_counters').values({ id: 'r', value: 0 }).execute();
    const increment = (fail: boolean) =>
      db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('test_counters').select('value').where('id', '=', 'r').forUpdate().executeTakeFirstOrThrow();
        await trx
          .updateTable('test_counters')
          .set({ value: row.value + 1 })
          .where('id', '=', 'r')
          .execute();
        await sleep(1);
        if (fail) throw new Error('abort');
      });
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => increment(i % 4 === 0)));
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(3);
    const final = await db.selectFrom('test_counters').select('value').where('id', '=', 'r').executeTakeFirstOrThrow();
    expect(final.value).toBe(9);
  });
});

import { afterAll, beforeAll, expect } from 'vitest';
import { adminToken, bearer, tokenFor } from './auth.ts';
import { createTestContext, type TestContext } from './context.ts';
import { makeHospital, makeHospitalClient } from './factories.ts';

/**
 * The webhook endpoints API as hospitals and administrators use it, on the production rules: https
 * URLs whose host is public. Address literals keep these tests off the network's DNS. Shared by
 * test/webhooks-api.test.ts and webhook-deliveries-api.
 *
 * The bindings are live: a test file calls `useWebhooksApiWorld` once and reads what its hooks set
 * (a test context, an administrator's token, two hospitals and a recognition client's token of each;
 * hospital B's client may also submit results).
 */
export let ctx: TestContext;
export let admin: string;
export let hospitalA: string;
export let hospitalB: string;
export let tokenA: string;
export let tokenB: string;

export const publicUrl = 'https://93.184.215.14/hooks/recalls';
export const problemType = 'application/problem+json; charset=utf-8';

/** Registers the hooks that build the world before the test file and close it after. */
export function useWebhooksApiWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    admin = await adminToken(ctx.app);
    hospitalA = await makeHospital(ctx.db);
    hospitalB = await makeHospital(ctx.db);
    const a = await makeHospitalClient(ctx.db, hospitalA, ['recognition']);
    const b = await makeHospitalClient(ctx.db, hospitalB, ['recognition', 'results:write']);
    tokenA = await tokenFor(ctx.app, a.clientId, a.clientSecret);
    tokenB = await tokenFor(ctx.app, b.clientId, b.clientSecret);
  });
  afterAll(() => ctx.close());
}

export function register(token: string, body: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers: bearer(token), payload: body });
}

/** An endpoint registered with `token`, asserted created. */
export async function registered(token: string, body: Record<string, unknown> = { url: publicUrl }) {
  const response = await register(token, body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; hospitalId: string; secret: string; previousSecretExpiresAt: string | null }>();
}

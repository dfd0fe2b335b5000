import { afterAll, beforeAll, expect } from 'vitest';
import { accessWorld, checkBody, post } from './access.ts';
import { createTestContext, type TestContext } from './context.ts';
import { ctSubmission, putResult, residentId } from './results.ts';

/**
 * The world of the access-audit tests (test/access-audit.test.ts, test/access-audit-refusals.test.ts):
 * accessWorld with one CT result of `patient` stored by the issuer under `accession`, the clock pinned.
 * The bindings below are live: a test file imports them and reads what `useAccessAuditWorld`'s hooks set.
 */
export let ctx: TestContext;
export let world: Awaited<ReturnType<typeof accessWorld>>;
export let resultId: string;
export const patient = residentId('19650101');
export const accession = 'ACC-AUDIT-1';

/** Registers the hooks that build the world before the test file and close it after. */
export function useAccessAuditWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    ctx.clock.set('2026-11-29T02:00:00Z');
    world = await accessWorld(ctx);
    const put = await putResult(ctx.app, world.issuerClient.token, accession, ctSubmission(patient, world.ct));
    expect(put.statusCode).toBe(201);
    resultId = put.json().resultId;
  });
  afterAll(() => ctx.close());
}

/** A recognition check of `patient` for the CT, with the given token. */
export const check = (token: string, extra: Record<string, unknown> = {}) =>
  post(ctx, '/v1/recognition-checks', checkBody(patient, [world.ct], extra), token);
/** A recognition of the stored result on the given check. */
export const decide = (token: string, checkId: string) =>
  post(ctx, `/v1/recognition-checks/${checkId}/decisions`, { decisions: [{ resultId, action: 'recognized' }] }, token);

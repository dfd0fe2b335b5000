import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCodeSystem } from '../src/modules/registry/index.ts';
import { bearer } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { cbcReport, ctReport, fhirWorld, resultsBundle, type FhirWorld } from './helpers/fhir.ts';
import { residentId } from './helpers/results.ts';

/** What a FHIR search is given that it must not take at its word: codes of another hospital, forged cursors, dates beyond the stored years. */
let ctx: TestContext;
let world: FhirWorld;
let readerToken: string;
const idNumber = residentId('19750316');
const patientParam = `urn:oid:2.16.156.10011.1.3|${idNumber}`;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.clock.set('2026-12-01T00:00:00Z');
  world = await fhirWorld(ctx.app, ctx.db);
  const stored = await ctx.app.inject({
    method: 'POST',
    url: '/fhir/r4',
    headers: { ...bearer(await world.writerToken()), 'content-type': 'application/fhir+json' },
    payload: resultsBundle('transaction', { idNumber, cbc: cbcReport('CBC-3101'), ct: ctReport(world, 'CT-4101') }),
  });
  expect(stored.statusCode, stored.body).toBe(200);
  readerToken = await world.readerToken();
});
afterAll(() => ctx.close());

const search = (query: Record<string, string>) =>
  ctx.app.inject({
    url: `/fhir/r4/DiagnosticReport?${new URLSearchParams({ 'patient.identifier': patientParam, ...query })}`,
    headers: { ...bearer(readerToken), 'x-practitioner-id': 'DR-0042' },
  });

describe('a FHIR search', () => {
  it("reads no other hospital's local codes: mapped or not, they name no catalogue item", async () => {
    // Hospital A maps its code to the CT; B, searching, may not read A's code map (403 on the REST API).
    expect((await ctx.app.inject({ url: `/v1/hospitals/${world.hospitalA}/code-map`, headers: bearer(readerToken) })).statusCode).toBe(403);
    const answers = [];
    for (const code of [world.ctLocalCode, 'RIS-9999']) {
      const response = await search({ code: `${localCodeSystem(world.hospitalA)}|${code}` });
      expect(response.statusCode).toBe(200);
      answers.push((response.json() as Bundle).entry?.map((e) => e.resource?.resourceType));
    }
    expect(answers).toEqual([['OperationOutcome'], ['OperationOutcome']]);
  });

  it('refuses a forged cursor and a date beyond the stored years with 400, naming the parameter', async () => {
    const forgedCursor = Buffer.from(`2026-01-01T00:00:00.000000Z/${'-'.repeat(36)}`).toString('base64url');
    for (const [query, parameter] of [
      [{ _cursor: forgedCursor }, 'cursor'],
      [{ date: 'gt9999-12-31T23:59:59.999Z' }, 'date'],
      [{ date: 'ge2026-02-31T00:00:00Z' }, 'date'],
    ] as const) {
      const response = await search(query);
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect((response.json() as OperationOutcome).issue[0].expression?.[0]).toContain(parameter);
    }
  });
});

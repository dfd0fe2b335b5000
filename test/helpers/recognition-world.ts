import { afterAll, beforeAll, beforeEach } from 'vitest';
import { generateResidentId, patientKey } from '../../src/modules/patients/index.ts';
import { createTestContext, patientKeySecret, type TestContext } from './context.ts';
import { bearer, tokenFor } from './auth.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './factories.ts';

export const now = new Date('2026-11-30T02:00:00Z');
const day = 86_400_000;
export const ago = (days: number) => new Date(now.getTime() - days * day);

/**
 * The recognition checks' world, shared by test/recognition.test.ts and test/recognition-decisions.test.ts:
 * a receiver in Ningbo (tier T2) with a client, an issuer certified nationally, and a CT, a liver panel
 * and an ALT; the clock is pinned at `now`. Each test gets a fresh patient (`idNumber`, `key`). The
 * bindings below are live: a test file imports them and reads what `useRecognitionWorld`'s hooks last set.
 */
export let ctx: TestContext;
export let receiver: string;
export let issuer: string;
export let receiverAuth: Record<string, string>;
export let ct: string;
export let lft: string;
export let alt: string;
export let idNumber: string;
export let key: string;
let seq = 100;

/** Registers the hooks that build the world before the test file and give each test its patient. */
export function useRecognitionWorld() {
  beforeAll(async () => {
    ctx = await createTestContext();
    ({ receiver, issuer, receiverAuth, ct, lft, alt } = await buildWorld(ctx));
  });
  afterAll(() => ctx.close());
  beforeEach(() => {
    idNumber = generateResidentId('19800101', '330106', String(seq++));
    key = patientKey(patientKeySecret, 'resident_id', idNumber);
  });
}

/** A recognition check of this test's patient, as the receiver unless told otherwise. */
export const check = (items: string[], extra: Record<string, unknown> = {}, headers: Record<string, string> = receiverAuth) =>
  ctx.app.inject({
    method: 'POST',
    url: '/v1/recognition-checks',
    headers,
    payload: { practitionerId: 'DR-7', patient: { idType: 'resident_id', idNumber }, items, purpose: 'treatment', ...extra },
  });

/** The registry rows and the receiver's token of the world. */
async function buildWorld(context: TestContext) {
  context.clock.set(now);
  const receiver = await makeHospital(context.db, { city: 'Ningbo', priceTier: 'T2' });
  const issuer = await makeHospital(context.db, { city: 'Hangzhou', name: 'Hangzhou First' });
  const national = await makeScope(context.db, { level: 'national' });
  await certify(context.db, { hospitalId: issuer, scopeId: national });
  const ct = await makeItem(context.db, {
    name: 'CT chest',
    category: 'ct',
    validityDays: 30,
    prices: { T1: 320, T2: 280, T3: 240 },
    minutesSaved: 60,
    radiationMsv: 7,
  });
  const lft = await makeItem(context.db, {
    name: 'Liver panel',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT', 'AST'],
    prices: { T1: 60 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  const alt = await makeItem(context.db, {
    name: 'ALT',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT'],
    prices: { T1: 10, T2: 8 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  const client = await makeHospitalClient(context.db, receiver);
  const receiverAuth = bearer(await tokenFor(context.app, client.clientId, client.clientSecret));
  return { receiver, issuer, receiverAuth, ct, lft, alt };
}

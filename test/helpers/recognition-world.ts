import type { TestContext } from './context.ts';
import { bearer, tokenFor } from './auth.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './factories.ts';

export const now = new Date('2026-11-30T02:00:00Z');
const day = 86_400_000;
export const ago = (days: number) => new Date(now.getTime() - days * day);

/**
 * The recognition checks' world, shared by test/recognition.test.ts and test/recognition-decisions.test.ts:
 * a receiver in Ningbo (tier T2) with a client, an issuer certified nationally, and a CT, a liver panel
 * and an ALT; the clock is pinned at `now`.
 */
export async function recognitionWorld(ctx: TestContext) {
  ctx.clock.set(now);
  const receiver = await makeHospital(ctx.db, { city: 'Ningbo', priceTier: 'T2' });
  const issuer = await makeHospital(ctx.db, { city: 'Hangzhou', name: 'Hangzhou First' });
  const national = await makeScope(ctx.db, { level: 'national' });
  await certify(ctx.db, { hospitalId: issuer, scopeId: national });
  const ct = await makeItem(ctx.db, {
    name: 'CT chest',
    category: 'ct',
    validityDays: 30,
    prices: { T1: 320, T2: 280, T3: 240 },
    minutesSaved: 60,
    radiationMsv: 7,
  });
  const lft = await makeItem(ctx.db, {
    name: 'Liver panel',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT', 'AST'],
    prices: { T1: 60 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  const alt = await makeItem(ctx.db, {
    name: 'ALT',
    category: 'lab',
    validityDays: 30,
    analytes: ['ALT'],
    prices: { T1: 10, T2: 8 },
    minutesSaved: 30,
    radiationMsv: null,
  });
  const client = await makeHospitalClient(ctx.db, receiver);
  const receiverAuth = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
  return { receiver, issuer, receiverAuth, ct, lft, alt };
}

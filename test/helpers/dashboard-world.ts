import { generateResidentId } from '../../src/modules/results/patient-identity.ts';
import { adminToken, bearer, tokenFor } from './auth.ts';
import type { TestContext } from './context.ts';

/**
 * A small province for the dashboard, made through the HTTP API as a deployment would: four
 * hospitals in three cities, five items, a national scope, a client per hospital, and two weeks of
 * recognition checks and decisions (recognised, declined with and without advisories, one reuse of
 * a hospital's own result), each on its own day of the pinned clock.
 */

const DAY_MS = 86_400_000;

export const dashboardHospitals = [
  { id: 'ZJ-PPH', name: 'Zhejiang Provincial People’s Hospital', tier: 'tertiary', city: 'Hangzhou', priceTier: 'T1' },
  { id: 'HZ-FIRST', name: 'Hangzhou First People’s Hospital', tier: 'tertiary', city: 'Hangzhou', priceTier: 'T1' },
  { id: 'NB-LHL', name: 'Ningbo Lihuili Hospital', tier: 'secondary', city: 'Ningbo', priceTier: 'T2' },
  { id: 'WZ-CENTRAL', name: 'Wenzhou Central Hospital', tier: 'secondary', city: 'Wenzhou', priceTier: 'T2' },
] as const;

const items = [
  { code: 'CT-CHEST', body: { name: 'Chest CT', nameZh: '胸部CT', category: 'ct', validityDays: 30, prices: { T1: 320, T2: 280 }, minutesSaved: 60, radiationMsv: 7 } },
  { code: 'MR-KNEE', body: { name: 'Knee MRI', nameZh: '膝关节MRI', category: 'mri', validityDays: 30, prices: { T1: 650, T2: 560 }, minutesSaved: 120 } },
  { code: 'XR-CHEST', body: { name: 'Chest X-ray', nameZh: '胸部X线', category: 'xray', validityDays: 30, prices: { T1: 80, T2: 65 }, minutesSaved: 30, radiationMsv: 0.1 } },
  { code: 'LAB-LFT', body: { name: 'Liver function panel', nameZh: '肝功能', category: 'lab', validityDays: 30, analytes: ['ALT', 'AST'], prices: { T1: 120, T2: 100 }, minutesSaved: 30 } },
  { code: 'US-ABD', body: { name: 'Abdominal ultrasound', nameZh: '腹部超声', category: 'ultrasound', validityDays: 7, prices: { T1: 150, T2: 120 }, minutesSaved: 45 } },
] as const;

// Chest CT most often, knee MRI least: the top-items chart has a shape.
const itemMix = [0, 0, 0, 0, 0, 2, 2, 2, 2, 3, 3, 3, 4, 4, 1];

export interface DashboardWorld {
  clients: Record<string, { clientId: string; clientSecret: string }>;
}

export async function seedDashboardWorld(ctx: TestContext): Promise<DashboardWorld> {
  const call = async (method: 'PUT' | 'POST', url: string, headers: Record<string, string>, payload: object) => {
    const response = await ctx.app.inject({ method, url, headers, payload });
    if (response.statusCode >= 300) throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json();
  };
  const admin = bearer(await adminToken(ctx.app));

  for (const { id, ...hospital } of dashboardHospitals) {
    await call('PUT', `/v1/hospitals/${id}`, admin, { ...hospital, grade: 'A', province: 'Zhejiang' });
  }
  for (const item of items) await call('PUT', `/v1/items/${item.code}`, admin, item.body);
  await call('PUT', '/v1/scopes/NATIONAL', admin, { level: 'national', name: 'National common items' });

  const clients: DashboardWorld['clients'] = {};
  const tokens: Record<string, Record<string, string>> = {};
  for (const { id } of dashboardHospitals) {
    await call('POST', `/v1/hospitals/${id}/certifications`, admin, { scopeId: 'NATIONAL', status: 'active', effectiveFrom: '2020-01-01T00:00:00Z' });
    const client = await call('POST', `/v1/hospitals/${id}/clients`, admin, { description: 'dashboard test' });
    clients[id] = { clientId: client.clientId, clientSecret: client.clientSecret };
    tokens[id] = bearer(await tokenFor(ctx.app, client.clientId, client.clientSecret));
  }

  // Tokens carry no nbf, so those issued now stay valid while the clock is pinned in the past.
  const now = Date.now();
  let sequence = 0;
  for (let daysAgo = 13; daysAgo >= 0; daysAgo -= 1) {
    const at = new Date(now - daysAgo * DAY_MS - 60_000);
    ctx.clock.set(at);
    const events = 3 + ((daysAgo * 7) % 5) + (daysAgo < 5 ? 2 : 0);
    for (let i = 0; i < events; i += 1) {
      sequence += 1;
      // A deterministic mix: mostly recognised, some declines, now and then a hospital's own result.
      const mix = (sequence * 7 + daysAgo) % 11;
      const issuer = dashboardHospitals[(daysAgo + i) % 4].id;
      const receiver = mix === 4 ? issuer : dashboardHospitals[(daysAgo + i + 1 + (i % 2)) % 4].id;
      const item = items[itemMix[(sequence * 5 + daysAgo) % itemMix.length]];
      const patient = { idType: 'resident_id', idNumber: generateResidentId('19750315', '330106', String(sequence).padStart(3, '0')) };
      const imaging = item.body.category !== 'lab';
      await call('PUT', `/v1/results/ACC-${sequence}`, tokens[issuer], {
        patient,
        itemCode: item.code,
        performedAt: new Date(at.getTime() - 26 * 3_600_000).toISOString(),
        status: 'final',
        ...(imaging
          ? { studyUid: `1.2.840.99.${sequence}`, findings: 'No abnormality.' }
          : { analytes: [{ code: 'ALT', value: 21, unit: 'U/L' }, { code: 'AST', value: 24, unit: 'U/L' }] }),
      });
      const emergency = mix === 6;
      const check = await call('POST', '/v1/recognition-checks', tokens[receiver], {
        practitionerId: `DR-${receiver}-${i % 3}`,
        patient,
        items: [item.code],
        purpose: 'treatment',
        ...(emergency ? { context: { emergency: true } } : {}),
      });
      const candidate = check.items[0].candidates[0];
      if (candidate?.outcome !== 'RECOGNIZABLE') throw new Error(`expected a recognisable candidate: ${JSON.stringify(check)}`);
      const decision = emergency
        ? { action: 'declined', reasonCode: 'D4_EMERGENCY' }
        : mix === 3 || mix === 9
          ? { action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' }
          : mix === 5
            ? { action: 'declined', reasonCode: 'D7_PATIENT_REQUEST' }
            : { action: 'recognized' };
      await call('POST', `/v1/recognition-checks/${check.checkId}/decisions`, tokens[receiver], { decisions: [{ resultId: candidate.resultId, ...decision }] });
    }
  }
  ctx.clock.release();
  return { clients };
}

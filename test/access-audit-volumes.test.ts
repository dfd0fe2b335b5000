import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedRequest } from './helpers/audit.ts';
import { get, hospitalReader, keyOf, post, requestIdOf, searchBody } from './helpers/access.ts';
import { adminToken } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { residentId } from './helpers/results.ts';

// Rule: per client and Asia/Shanghai day, volumes and distinct patients; more patients than the threshold is unusual.
describe('access volumes and the patients a client was given', () => {
  let vol: TestContext;
  let admin2: string;
  type Reader = Awaited<ReturnType<typeof hospitalReader>>;
  let busy: Reader, border: Reader, quiet: Reader;
  const busyPatients = [residentId('19700101'), residentId('19700202'), residentId('19700303')];
  const borderPatients = [residentId('19750101'), residentId('19750202')];
  const quietPatient = residentId('19800404');
  const refusedPatient = residentId('19800505');

  beforeAll(async () => {
    vol = await createTestContext({ AUDIT_UNUSUAL_PATIENTS_PER_DAY: '2' });
    vol.clock.set('2026-11-28T17:00:00Z'); // 01:00 on 29 November in Shanghai
    admin2 = await adminToken(vol.app);
    [busy, border, quiet] = [await hospitalReader(vol), await hospitalReader(vol), await hospitalReader(vol)];
    const search = (who: Reader, idNumber: string, purpose = 'treatment') =>
      post(vol, '/v1/results/search', searchBody(idNumber, { purpose }), who.token);
    // The busy client's searches one minute apart, its first patient twice.
    for (const idNumber of [...busyPatients, busyPatients[0]]) {
      vol.clock.advance(60_000);
      expect((await search(busy, idNumber)).statusCode).toBe(200);
    }
    for (const idNumber of borderPatients) expect((await search(border, idNumber)).statusCode).toBe(200);
    expect((await search(quiet, quietPatient)).statusCode).toBe(200);
    const refused = await search(quiet, refusedPatient, 'research');
    expect(refused.statusCode).toBe(403);
    await auditedRequest(vol.db, requestIdOf(refused));
  });
  afterAll(() => vol.close());

  const volumes = (query: string, token = admin2) => get(vol, `/v1/audit-events/volumes?${query}`, token);

  it('counts events, refusals and distinct patients per client and Shanghai day, flagging the unusual', async () => {
    const response = await volumes('from=2026-11-29&to=2026-11-29');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      from: '2026-11-29',
      to: '2026-11-29',
      unusualPatientsPerDay: 2,
      rows: [
        { day: '2026-11-29', clientId: busy.clientId, hospitalId: busy.hospital, events: 4, unsuccessful: 0, patients: 3, unusual: true },
        {
          day: '2026-11-29',
          clientId: border.clientId,
          hospitalId: border.hospital,
          events: 2,
          unsuccessful: 0,
          patients: 2,
          unusual: false,
        },
        {
          day: '2026-11-29',
          clientId: quiet.clientId,
          hospitalId: quiet.hospital,
          events: 2,
          unsuccessful: 1,
          patients: 1,
          unusual: false,
        },
      ],
    });
    expect((await volumes('from=2026-11-28&to=2026-11-28')).json().rows).toEqual([]); // the UTC day holds nothing
    expect((await volumes('')).json()).toMatchObject({
      from: '2026-11-23',
      to: '2026-11-29',
      rows: [{ clientId: busy.clientId }, { clientId: border.clientId }, { clientId: quiet.clientId }],
    });
    expect((await volumes(`clientId=${quiet.clientId}`)).json().rows).toEqual([expect.objectContaining({ clientId: quiet.clientId })]);
    expect((await volumes('from=2026-08-30&to=2026-11-29')).statusCode).toBe(200); // 92 days
  });

  it('refuses a reversed, too long or out-of-range period, and hospital clients', async () => {
    for (const query of ['from=2026-11-30&to=2026-11-29', 'from=2026-08-29&to=2026-11-29', 'from=9999-12-31']) {
      const response = await volumes(query);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await volumes('', quiet.token)).statusCode).toBe(403);
  });

  it('lists the patients a client was given, each once across pages, refusals excluded', async () => {
    const pages = async (clientId: string, limit: number) => {
      const seen: { patientKey: string; events: number; firstAt: string; lastAt: string }[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ from: '2026-11-29', to: '2026-11-29', limit: String(limit), ...(cursor ? { cursor } : {}) });
        const response = await get(vol, `/v1/audit-events/clients/${clientId}/patients?${query}`, admin2);
        expect(response.statusCode).toBe(200);
        expect(response.json().patients.length).toBeLessThanOrEqual(limit);
        seen.push(...response.json().patients);
        cursor = response.json().nextCursor;
      } while (cursor);
      return seen;
    };
    const busyKeys = busyPatients.map(keyOf);
    const seen = await pages(busy.clientId, 2);
    expect(seen.map((p) => p.patientKey)).toEqual([...busyKeys].sort());
    expect(seen.find((p) => p.patientKey === busyKeys[0])).toEqual({
      patientKey: busyKeys[0],
      events: 2,
      firstAt: '2026-11-28T17:01:00.000Z',
      lastAt: '2026-11-28T17:04:00.000Z',
    });
    expect((await pages(quiet.clientId, 1)).map((p) => p.patientKey)).toEqual([keyOf(quietPatient)]);

    const forged = Buffer.from('not-a-patient-key').toString('base64url');
    const bad = await get(vol, `/v1/audit-events/clients/${busy.clientId}/patients?cursor=${forged}`, admin2);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('cursor');
  });
});

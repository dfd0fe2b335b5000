import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { patientKey } from '../../src/modules/patients/index.ts';
import { basic, bearer, tokenFor } from './auth.ts';
import { patientKeySecret, type TestContext } from './context.ts';
import { certify, makeHospital, makeHospitalClient, makeItem, makeScope } from './factories.ts';

/** A receiving and an issuing hospital, a CT item the issuer is certified for, and a client of each. */
export async function accessWorld(ctx: TestContext) {
  const receiver = await makeHospital(ctx.db, { city: 'Ningbo' });
  const issuer = await makeHospital(ctx.db, { city: 'Hangzhou' });
  await certify(ctx.db, { hospitalId: issuer, scopeId: await makeScope(ctx.db, { level: 'national' }) });
  const ct = await makeItem(ctx.db, { category: 'ct', validityDays: 30 });
  /** A new client of the hospital (all hospital scopes unless given) and a token for it. */
  const client = async (hospitalId: string, scopes?: string[]) => {
    const { clientId, clientSecret } = await makeHospitalClient(ctx.db, hospitalId, scopes);
    return { clientId, clientSecret, token: await tokenFor(ctx.app, clientId, clientSecret) };
  };
  return { receiver, issuer, ct, client, receiverClient: await client(receiver), issuerClient: await client(issuer) };
}

/** The pseudonymous key the exchange stores for a resident ID. */
export const keyOf = (idNumber: string) => patientKey(patientKeySecret, 'resident_id', idNumber);

export const requestIdOf = (response: LightMyRequestResponse) => response.headers['x-request-id'] as string;

export const resident = (idNumber: string) => ({ idType: 'resident_id', idNumber });

/** A JSON POST, with a bearer token when given. */
export function post(ctx: TestContext, url: string, payload: unknown, token?: string, headers: Record<string, string | string[]> = {}) {
  return ctx.app.inject({ method: 'POST', url, payload: payload as object, headers: { ...(token ? bearer(token) : {}), ...headers } });
}

export function get(ctx: TestContext, url: string, token?: string) {
  return ctx.app.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });
}

export const searchBody = (idNumber: string, extra: Record<string, unknown> = {}) => ({
  patient: resident(idNumber),
  practitionerId: 'DR-SEARCH',
  purpose: 'treatment',
  ...extra,
});

export const checkBody = (idNumber: string, items: string[], extra: Record<string, unknown> = {}) => ({
  practitionerId: 'DR-CHECK',
  patient: resident(idNumber),
  items,
  purpose: 'treatment',
  ...extra,
});

/** Row counts of the given tables, e.g. before and after a retry. */
export async function countRows<T extends string>(db: Database, tables: readonly T[]): Promise<Record<T, number>> {
  const counts = {} as Record<T, number>;
  for (const table of tables) {
    const { rows } = await sql<{ n: string | number }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    counts[table] = Number(rows[0].n);
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client-credentials token request (client_secret_basic), from the given source address. */
export function tokenRequest(ctx: TestContext, clientId: string, secret: string, remoteAddress = '127.0.0.1') {
  return ctx.app.inject({
    method: 'POST',
    url: '/v1/oauth/token',
    remoteAddress,
    payload: 'grant_type=client_credentials',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** A new hospital with one client of every hospital scope, and a token for it. */
export async function hospitalReader(ctx: TestContext) {
  const hospital = await makeHospital(ctx.db);
  const { clientId, clientSecret } = await makeHospitalClient(ctx.db, hospital);
  return { hospital, clientId, token: await tokenFor(ctx.app, clientId, clientSecret) };
}

import type { FastifyInstance } from 'fastify';
import { adminCredentials } from './context.ts';

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A token for the given client-secret credentials; throws when refused. */
export async function tokenFor(app: FastifyInstance, clientId: string, clientSecret: string, scope?: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/oauth/token',
    headers: { authorization: basic(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  if (response.statusCode !== 200) throw new Error(`token refused: ${response.statusCode} ${response.body}`);
  return response.json<{ access_token: string }>().access_token;
}

export function adminToken(app: FastifyInstance): Promise<string> {
  return tokenFor(app, adminCredentials.clientId, adminCredentials.clientSecret);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

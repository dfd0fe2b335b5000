import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminToken, bearer } from './auth.ts';

/**
 * The CDS Hooks 2.0 specification's structures (https://cds-hooks.hl7.org/2.0/), written from its
 * tables: required fields, the allowed values, and "JSON elements SHALL NOT be null, nor empty" (an
 * empty `cards` array excepted). Every answer of the service is checked against them.
 */
const extension = z.record(z.string(), z.unknown()).optional();
const text = z.string().min(1);
const coding = z.strictObject({ code: text, system: text, display: text.optional(), extension });

export const specDiscovery = z.strictObject({
  services: z.array(
    z.strictObject({
      hook: text,
      title: text.optional(),
      description: text,
      id: text,
      prefetch: z.record(z.string(), text).optional(),
      usageRequirements: text.optional(),
      extension,
    }),
  ),
  extension,
});

const action = z
  .strictObject({
    type: z.enum(['create', 'update', 'delete']),
    description: text,
    resource: z.record(z.string(), z.unknown()).optional(),
    resourceId: text.optional(),
    extension,
  })
  .refine((a) => a.type !== 'delete' || a.resourceId !== undefined, 'a delete action SHOULD name its resourceId')
  .refine((a) => a.type === 'delete' || a.resource !== undefined, 'create and update actions carry the resource');

const card = z
  .strictObject({
    uuid: text.optional(),
    summary: text.refine((s) => [...s].length < 140, 'a summary has fewer than 140 characters'),
    detail: text.optional(),
    indicator: z.enum(['info', 'warning', 'critical']),
    source: z.strictObject({ label: text, url: z.url().optional(), icon: z.url().optional(), topic: coding.optional(), extension }),
    suggestions: z
      .array(
        z.strictObject({
          label: text,
          uuid: text.optional(),
          isRecommended: z.boolean().optional(),
          actions: z.array(action).min(1).optional(),
          extension,
        }),
      )
      .min(1)
      .optional(),
    selectionBehavior: z.enum(['at-most-one', 'any']).optional(),
    overrideReasons: z
      .array(coding.refine((c) => c.display !== undefined, 'override reasons need a display'))
      .min(1)
      .optional(),
    links: z
      .array(
        z.strictObject({
          label: text,
          url: z.url(),
          type: z.enum(['absolute', 'smart']),
          appContext: text.optional(),
          autolaunchable: z.boolean().optional(),
          extension,
        }),
      )
      .min(1)
      .optional(),
    extension,
  })
  .refine((c) => c.suggestions === undefined || c.selectionBehavior !== undefined, 'suggestions need a selectionBehavior');

export const specResponse = z.strictObject({ cards: z.array(card), systemActions: z.array(action).min(1).optional(), extension });

export const specRequest = z.strictObject({
  hook: text,
  hookInstance: z.uuid(),
  fhirServer: z.url().optional(),
  fhirAuthorization: z
    .strictObject({ access_token: text, token_type: z.literal('Bearer'), expires_in: z.number().int(), scope: text, subject: text })
    .optional(),
  context: z.record(z.string(), z.unknown()),
  prefetch: z.record(z.string(), z.unknown()).optional(),
  extension,
});

export const specFeedback = z.strictObject({
  feedback: z
    .array(
      z
        .strictObject({
          card: text,
          outcome: z.enum(['accepted', 'overridden']),
          acceptedSuggestions: z
            .array(z.strictObject({ id: text }))
            .min(1)
            .optional(),
          overrideReason: z.strictObject({ reason: coding.optional(), userComment: text.optional() }).optional(),
          outcomeTimestamp: z.iso.datetime({ offset: true }),
        })
        .refine((f) => f.outcome !== 'accepted' || f.acceptedSuggestions !== undefined, 'accepted feedback names its suggestions'),
    )
    .min(1),
});

/** Where the document breaks "JSON elements SHALL NOT be null" or "SHALL NOT be empty" (`cards` may be empty). */
export function nullOrEmpty(value: unknown, path = ''): string[] {
  if (value === null) return [`${path} is null`];
  if (value === '') return [`${path} is empty`];
  if (Array.isArray(value)) {
    if (value.length === 0 && path !== '.cards') return [`${path} is empty`];
    return value.flatMap((v, i) => nullOrEmpty(v, `${path}[${i}]`));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${path} is empty`];
    return entries.flatMap(([k, v]) => nullOrEmpty(v, `${path}.${k}`));
  }
  return [];
}

/** A CDS client: a hospital client registered (through the API) with the public half of its key. */
export interface CdsClient {
  clientId: string;
  /** The CDS issuer it registered, which its JWTs carry as iss; its client id otherwise. */
  issuer?: string;
  kid: string;
  privateKey: CryptoKey;
}

export async function registerCdsClient(
  app: FastifyInstance,
  hospitalId: string,
  scopes: string[] = ['recognition'],
  algorithm = 'ES384',
  cdsIssuer?: string,
): Promise<CdsClient> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const kid = `cds-${randomUUID()}`;
  const response = await app.inject({
    method: 'POST',
    url: `/v1/hospitals/${hospitalId}/clients`,
    headers: bearer(await adminToken(app)),
    payload: {
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' }] },
      scopes,
      ...(cdsIssuer ? { cdsIssuer } : {}),
      description: 'EHR (CDS client)',
    },
  });
  if (response.statusCode !== 201) throw new Error(`client registration refused: ${response.statusCode} ${response.body}`);
  return { clientId: response.json<{ clientId: string }>().clientId, issuer: cdsIssuer, kid, privateKey };
}

export interface JwtOptions {
  aud: string | string[];
  now: Date;
  iss?: string;
  jti?: string;
  lifetimeSeconds?: number;
  iat?: number;
  key?: CryptoKey;
  /** The header's kid: the client's key's unless given; null leaves it out. */
  kid?: string | null;
  alg?: string;
  /** The header's typ: JWT unless given (any JSON value, to test what a careless client sends); null leaves it out. */
  typ?: unknown;
}

/** The JWT a CDS client sends with each call (CDS Hooks 2.0, Trusting CDS Clients). */
export function cdsJwt(client: CdsClient, options: JwtOptions): Promise<string> {
  const now = Math.floor(options.now.getTime() / 1000);
  return new SignJWT({ tenant: 'tenant-1' })
    .setProtectedHeader({
      alg: options.alg ?? 'ES384',
      ...(options.typ === null ? {} : { typ: (options.typ ?? 'JWT') as string }),
      ...(options.kid === null ? {} : { kid: options.kid ?? client.kid }),
    })
    .setIssuer(options.iss ?? client.issuer ?? client.clientId)
    .setAudience(options.aud)
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(now + (options.lifetimeSeconds ?? 300))
    .setJti(options.jti ?? randomUUID())
    .sign(options.key ?? client.privateKey);
}

export const orderSelect = 'mutual-recognition-order-select';
export const orderSign = 'mutual-recognition-order-sign';

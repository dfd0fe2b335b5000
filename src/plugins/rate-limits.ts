import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyRequests } from '../errors.ts';

export type RateLimitName = 'address' | 'client' | 'token-endpoint';

export interface RateLimitOptions {
  /** Requests per minute. */
  perAddress: number;
  perClient: number;
  tokenPerAddress: number;
  onLimited: (limit: RateLimitName) => void;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token endpoint: unauthenticated and costly (a password hash per attempt), so limited harder. */
    tokenEndpoint?: boolean;
  }
}

const minute = 60_000;

/**
 * Per-instance request budgets, answered 429 problem+json with Retry-After when spent: per source
 * address on every route (before anything else runs), per API client once its token is verified,
 * and a much smaller one per address on the token endpoint. Liveness and metrics are exempt. The
 * counters live in this process: with N instances behind a balancer a client gets up to N budgets.
 */
async function rateLimits(app: FastifyInstance, options: RateLimitOptions) {
  await app.register(rateLimit, { global: false, cache: 50_000 });
  const limiters = {
    address: app.createRateLimit({ max: options.perAddress, timeWindow: minute, keyGenerator: (r) => `address:${r.ip}` }),
    client: app.createRateLimit({ max: options.perClient, timeWindow: minute, keyGenerator: (r) => `client:${r.actor.clientId}` }),
    'token-endpoint': app.createRateLimit({ max: options.tokenPerAddress, timeWindow: minute, keyGenerator: (r) => `token:${r.ip}` }),
  };

  async function enforce(name: RateLimitName, request: FastifyRequest) {
    const state = await limiters[name](request);
    if (state.isAllowed || !state.isExceeded) return;
    options.onLimited(name);
    const whose = name === 'client' ? 'this client' : 'this address';
    throw new TooManyRequests(`Too many requests from ${whose}; retry after ${state.ttlInSeconds} s`, state.ttlInSeconds);
  }

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.neverShed) return;
    await enforce('address', request);
    if (config.tokenEndpoint) await enforce('token-endpoint', request);
  });
  // After the route's own onRequest hooks, so the token has been verified and the actor is known.
  app.addHook('preHandler', async (request) => {
    if (request.actor) await enforce('client', request);
  });
}

export default fp(rateLimits, { name: 'rate-limits' });

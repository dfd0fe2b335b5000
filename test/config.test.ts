import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { generateSigningJwk } from '../src/modules/auth/keys.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('has working defaults for the embedded database', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://127.0.0.1:3000',
      logLevel: 'info',
      database: { url: null, poolSize: 10, dataDir: './data' },
      patientKeySecret: null,
      auth: { signingKey: null, accessTokenTtlSeconds: 900, adminClientId: 'admin', adminClientSecret: null },
      demoData: true,
      shutdownGraceMs: 10_000,
      aggregateIntervalMs: 1_000,
      nodeEnv: 'production',
      webhooks: { timeoutMs: 10_000, retryBaseMs: 30_000, maxAttempts: 8, pollIntervalMs: 1_000, retentionDays: 90 },
      recalls: { horizonDays: 180 },
      workers: 1,
    });
  });

  it('runs one worker per core on PostgreSQL unless told, and only one on the embedded database', async () => {
    const server = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      PATIENT_KEY_SECRET: 'a-patient-key-secret-of-32-characters-at-least',
      AUTH_SIGNING_KEY: JSON.stringify(await generateSigningJwk()),
    };
    expect(loadConfig(server).workers).toBe(availableParallelism());
    expect(loadConfig({ ...server, WORKERS: '3' }).workers).toBe(3);
    expect(problemsOf({ WORKERS: '2' })).toEqual(['WORKERS: must be 1 on the embedded database (set DATABASE_URL)']);
    expect(problemsOf({ ...server, WORKERS: '0' })[0]).toMatch(/^WORKERS/);
  });

  it('treats empty variables as unset and derives the public URL', () => {
    const config = loadConfig({ HOST: '0.0.0.0', PORT: '8080', LOG_LEVEL: '', DATA_DIR: '' });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.logLevel).toBe('info');
    expect(config.database.dataDir).toBe('./data');
    expect(loadConfig({ PUBLIC_URL: 'https://exchange.example/' }).publicUrl).toBe('https://exchange.example');
  });

  it('parses every setting', async () => {
    const jwk = JSON.stringify(await generateSigningJwk());
    const config = loadConfig({
      HOST: '::',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: 'postgres://exchange@db:5432/exchange',
      DATABASE_POOL_SIZE: '25',
      PATIENT_KEY_SECRET: 'x'.repeat(32),
      AUTH_SIGNING_KEY: jwk,
      ACCESS_TOKEN_TTL: '300',
      ADMIN_CLIENT_ID: 'commission',
      ADMIN_CLIENT_SECRET: 'a-long-enough-secret',
      DEMO_DATA: 'off',
      SHUTDOWN_GRACE_MS: '2500',
      AGGREGATE_INTERVAL_MS: '250',
      NODE_ENV: 'development',
      WEBHOOK_TIMEOUT_MS: '5000',
      WEBHOOK_RETRY_BASE_MS: '1000',
      WEBHOOK_MAX_ATTEMPTS: '12',
      WEBHOOK_POLL_INTERVAL_MS: '200',
      WEBHOOK_RETENTION_DAYS: '30',
      RECALL_HORIZON_DAYS: '365',
    });
    expect(config).toMatchObject({
      port: 0,
      logLevel: 'warn',
      database: { url: 'postgres://exchange@db:5432/exchange', poolSize: 25 },
      patientKeySecret: 'x'.repeat(32),
      auth: { signingKey: jwk, accessTokenTtlSeconds: 300, adminClientId: 'commission', adminClientSecret: 'a-long-enough-secret' },
      demoData: false,
      shutdownGraceMs: 2500,
      aggregateIntervalMs: 250,
      nodeEnv: 'development',
      webhooks: { timeoutMs: 5_000, retryBaseMs: 1_000, maxAttempts: 12, pollIntervalMs: 200, retentionDays: 30 },
      recalls: { horizonDays: 365 },
    });
  });

  it("takes TRUST_PROXY as true, false or the proxies' addresses, and refuses a hop count", () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16, ::1/128, loopback' }).http.trustProxy).toBe(
      '10.0.0.5, 10.1.0.0/16, ::1/128, loopback',
    );
    // Fastify 5 trusts no proxy given a hop count: every client would look like the proxy.
    expect(problemsOf({ TRUST_PROXY: '1' })).toEqual([
      "TRUST_PROXY: a hop count trusts no proxy in Fastify 5: name the proxies' addresses or CIDRs, or true",
    ]);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33,proxy.internal' })).toEqual([
      'TRUST_PROXY: "10.0.0.0/33" is not an address, a CIDR or one of loopback, linklocal, uniquelocal',
      'TRUST_PROXY: "proxy.internal" is not an address, a CIDR or one of loopback, linklocal, uniquelocal',
    ]);
  });

  it('lists every problem of a bad environment at once', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', ACCESS_TOKEN_TTL: '-5', PATIENT_KEY_SECRET: 'short' });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['ACCESS_TOKEN_TTL', 'LOG_LEVEL', 'PATIENT_KEY_SECRET', 'PORT']);
    expect(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' })).toThrow(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
  });

  it('refuses DATABASE_URL without PATIENT_KEY_SECRET and AUTH_SIGNING_KEY', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(problems).toEqual([
      'PATIENT_KEY_SECRET: required when DATABASE_URL is set',
      'AUTH_SIGNING_KEY: required when DATABASE_URL is set',
    ]);
  });

  it('lists cross-setting problems together with malformed values', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://postgres@127.0.0.1/postgres', PORT: 'abc' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'PATIENT_KEY_SECRET', 'AUTH_SIGNING_KEY']);
  });

  it('bounds the webhook settings, the recall horizon and NODE_ENV', () => {
    const problems = problemsOf({
      NODE_ENV: 'staging',
      WEBHOOK_TIMEOUT_MS: '0',
      WEBHOOK_RETRY_BASE_MS: '3600001',
      WEBHOOK_MAX_ATTEMPTS: '51',
      WEBHOOK_POLL_INTERVAL_MS: '10',
      WEBHOOK_RETENTION_DAYS: '0',
      RECALL_HORIZON_DAYS: '3651',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'NODE_ENV',
      'RECALL_HORIZON_DAYS',
      'WEBHOOK_MAX_ATTEMPTS',
      'WEBHOOK_POLL_INTERVAL_MS',
      'WEBHOOK_RETENTION_DAYS',
      'WEBHOOK_RETRY_BASE_MS',
      'WEBHOOK_TIMEOUT_MS',
    ]);
    expect(problemsOf({ WEBHOOK_TIMEOUT_MS: '60001' })[0]).toMatch(/^WEBHOOK_TIMEOUT_MS:/);
    expect(problemsOf({ RECALL_HORIZON_DAYS: '0' })[0]).toMatch(/^RECALL_HORIZON_DAYS:/);
    expect(problemsOf({ RECALL_HORIZON_DAYS: '1.5' })[0]).toMatch(/^RECALL_HORIZON_DAYS:/);
    expect(problemsOf({ WEBHOOK_MAX_ATTEMPTS: '0' })[0]).toMatch(/^WEBHOOK_MAX_ATTEMPTS:/);
    expect(loadConfig({ NODE_ENV: 'test', RECALL_HORIZON_DAYS: '1', WEBHOOK_MAX_ATTEMPTS: '1' })).toMatchObject({
      nodeEnv: 'test',
      recalls: { horizonDays: 1 },
      webhooks: { maxAttempts: 1 },
    });
  });

  it('refuses a database URL of another kind and a signing key that is not a private P-256 JWK', async () => {
    const { d: _d, ...publicOnly } = await generateSigningJwk();
    expect(problemsOf({ DATABASE_URL: 'mysql://db/x' })[0]).toMatch(/^DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(problemsOf({ AUTH_SIGNING_KEY: JSON.stringify(publicOnly) })).toEqual([
      'AUTH_SIGNING_KEY: must be a private EC P-256 JWK (JSON) for ES256',
    ]);
    expect(problemsOf({ AUTH_SIGNING_KEY: 'not json' })).toHaveLength(1);
    expect(problemsOf({ AUTH_SIGNING_KEY: 'null' })).toHaveLength(1);
  });
});

import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { prepareDatabase } from '../../src/bootstrap.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database, type DatabaseHandle } from '../../src/db/database.ts';
import { generateSigningJwk, importSigningKey } from '../../src/modules/auth/keys.ts';
import type { ServiceKeys } from '../../src/keys.ts';
import { createLogger } from '../../src/logger.ts';
import { checkAnswersAgainstOpenApi } from './openapi-conformance.ts';
import { cloneTemplate } from './postgres.ts';

export const adminCredentials = { clientId: 'test-admin', clientSecret: 'test-admin-secret-0123456789' };
export const patientKeySecret = 'test-patient-key-secret-0123456789abcdef';

/** A clock tests can pin and move. */
export interface TestClock {
  (): Date;
  set(at: Date | string): void;
  advance(ms: number): void;
  release(): void;
}

export function createClock(): TestClock {
  let pinned: Date | null = null;
  const clock = (() => (pinned ? new Date(pinned) : new Date())) as TestClock;
  clock.set = (at) => (pinned = new Date(at));
  clock.advance = (ms) => (pinned = new Date((pinned ?? new Date()).getTime() + ms));
  clock.release = () => (pinned = null);
  return clock;
}

export interface TestContext {
  app: FastifyInstance;
  /** PostgreSQL only: the cloned database, reached directly. */
  databaseUrl: string | null;
  db: Database;
  database: DatabaseHandle;
  config: Config;
  keys: ServiceKeys;
  clock: TestClock;
  /** Every log line written so far, as text. */
  logs: () => string;
  close: () => Promise<void>;
}

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export interface TestContextOptions {
  /** Adds test-only routes or hooks to the app before it is made ready. */
  extend?: (app: FastifyInstance) => void | Promise<void>;
  /** PostgreSQL only: the URL the app connects with, given its cloned database's (e.g. through a proxy). */
  connectVia?: (databaseUrl: string) => string;
  /** PostgreSQL: this database as it is (a Citus coordinator's, test/citus.test.ts) instead of a clone of the template. */
  databaseUrl?: string;
}

/** An isolated app and database: a cloned PostgreSQL database with DATABASE_URL, else in-memory PGlite. */
export async function createTestContext(env: Record<string, string> = {}, options: TestContextOptions = {}): Promise<TestContext> {
  const clone = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : process.env.DATABASE_URL
      ? await cloneTemplate(process.env.DATABASE_URL)
      : null;
  const signingJwk = await generateSigningJwk();
  const config = loadConfig({
    DATA_DIR: 'memory',
    LOG_LEVEL: 'info',
    PUBLIC_URL: 'http://exchange.test',
    ADMIN_CLIENT_ID: adminCredentials.clientId,
    ADMIN_CLIENT_SECRET: adminCredentials.clientSecret,
    PATIENT_KEY_SECRET: patientKeySecret,
    AUTH_SIGNING_KEY: JSON.stringify(signingJwk),
    DATABASE_POOL_SIZE: '8',
    // Every test file makes many requests from one address; the limits' own tests set theirs low.
    RATE_LIMIT_PER_ADDRESS: '1000000',
    RATE_LIMIT_TOKEN_PER_ADDRESS: '1000000',
    AUTH_MAX_FAILURES: '1000',
    // Tests block the event loop on purpose (the embedded database, a whole demo loaded in process):
    // no load shedding unless a test asks for it.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(clone ? { DATABASE_URL: options.connectVia?.(clone.url) ?? clone.url } : {}),
    ...env,
  });
  const snapshot = clone ? '' : inject('embeddedSnapshot');
  const database = await openDatabase(config.database, snapshot ? { embeddedSnapshot: new Blob([await readFile(snapshot)]) } : {});
  const keys: ServiceKeys = {
    signing: await importSigningKey(signingJwk),
    patientKeySecret,
    adminClientSecret: adminCredentials.clientSecret,
  };
  await prepareDatabase(database, config, keys);
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const clock = createClock();
  const app = await buildApp({ config, database, logger: createLogger(config.logLevel, sink), clock, keys });
  await options.extend?.(app);
  const violations = checkAnswersAgainstOpenApi(app);
  await app.ready();
  return {
    app,
    databaseUrl: clone?.url ?? null,
    db: database.db,
    database,
    config,
    keys,
    clock,
    logs: () => chunks.join(''),
    close: async () => {
      await app.close();
      await database.close();
      await clone?.drop();
      // Every answer this file's tests received must be one the committed OpenAPI document describes.
      const seen = violations();
      if (seen.length > 0) throw new Error(`Answers that differ from openapi/openapi.json:\n${[...new Set(seen)].join('\n')}`);
    },
  };
}

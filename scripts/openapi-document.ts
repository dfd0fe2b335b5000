import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { prepareDatabase } from '../src/bootstrap.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import type { ServiceKeys } from '../src/keys.ts';
import { generateSigningJwk, importSigningKey } from '../src/modules/auth/index.ts';

/** Where the committed, reviewed spec lives. */
export const openapiFile = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));

/**
 * The OpenAPI document the routes generate, as the committed file's text (2-space JSON, trailing
 * newline). The app is built as the tests build it: a migrated in-memory database, throwaway keys and a
 * fixed public URL, so the output depends only on the route declarations.
 */
export async function generateOpenApiText(): Promise<string> {
  const signingJwk = await generateSigningJwk();
  const config = loadConfig({
    DATA_DIR: 'memory',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost:3000',
    PATIENT_KEY_SECRET: 'openapi-generation-only-not-a-real-secret',
    AUTH_SIGNING_KEY: JSON.stringify(signingJwk),
  });
  const database = await openDatabase(config.database);
  try {
    const keys: ServiceKeys = {
      signing: await importSigningKey(signingJwk),
      patientKeySecret: config.patientKeySecret!,
      adminClientSecret: null,
    };
    await prepareDatabase(database, config, keys);
    const app = await buildApp({ config, database, logger: pino({ level: 'silent' }), clock: () => new Date(), keys });
    try {
      await app.ready();
      return `${JSON.stringify(swaggerWithHint(app), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}

/**
 * @fastify/type-provider-zod names the request-side variant of a schema with id `X` as `XInput`, so
 * a schema of its own with id `XInput` collides with it. Say so, rather than only quoting the library.
 */
function swaggerWithHint(app: { swagger(): unknown }): unknown {
  try {
    return app.swagger();
  } catch (error) {
    const collision = error instanceof Error ? /Collision detected for schema "(\w+)Input"/.exec(error.message) : null;
    if (!collision) throw error;
    throw new Error(
      `${(error as Error).message} A schema id must not be another schema's id plus "Input" (the provider's name for request-side ` +
        `variants): rename the schema with meta({ id: '${collision[1]}Input' }), e.g. to '${collision[1]}Write'.`,
      { cause: error },
    );
  }
}

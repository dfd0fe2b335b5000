import { ConfigError, loadConfig } from '../src/config.ts';
import type { DatabaseOptions } from '../src/db/database.ts';
import { maintenanceLimits } from '../src/db/postgres.ts';

/**
 * The validated configuration's database, for maintenance scripts (migrate, seed, rebuild): no
 * statement or lock timeout. Only the database is needed, so the secrets a PostgreSQL deployment
 * must set for the service (PATIENT_KEY_SECRET, AUTH_SIGNING_KEY) are not: when they are the only
 * problems, DATABASE_URL is used as given.
 */
export function maintenanceDatabase(env: NodeJS.ProcessEnv = process.env): DatabaseOptions {
  try {
    return { ...loadConfig(env).database, limits: maintenanceLimits };
  } catch (error) {
    const url = env.DATABASE_URL;
    const onlySecretsMissing = error instanceof ConfigError && error.problems.every((p) => p.endsWith('required when DATABASE_URL is set'));
    if (!url || !onlySecretsMissing) throw error;
    return { url, poolSize: 2, dataDir: env.DATA_DIR || './data', limits: maintenanceLimits };
  }
}

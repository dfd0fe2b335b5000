import { ConfigError, loadConfig } from '../src/config.ts';
import { openDatabase, type DatabaseOptions } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { maintenanceLimits } from '../src/db/postgres.ts';
import { loadCatalogue } from '../src/demo/load.ts';
import { run } from './run.ts';

/**
 * `npm run seed:catalogue`: migrates the configured database and upserts the default exam-item
 * catalogue (the shipped items get their shipped values back; a region's own items are untouched).
 * Non-zero exit on failure.
 */
async function main(): Promise<void> {
  const database = await openDatabase(databaseOptions());
  try {
    await migrateToLatest(database.db);
    const count = await database.db.transaction().execute((trx) => loadCatalogue(trx, new Date()));
    process.stdout.write(`Upserted ${count} catalogue items (database: ${database.kind})\n`);
  } finally {
    await database.close();
  }
}

/**
 * The validated configuration's database settings. Only the database is needed here, so the
 * service secrets PostgreSQL deployments must set (PATIENT_KEY_SECRET, AUTH_SIGNING_KEY) are not:
 * when they are the only problems, DATABASE_URL is used as given.
 */
function databaseOptions(): DatabaseOptions {
  try {
    return { ...loadConfig().database, limits: maintenanceLimits };
  } catch (error) {
    const url = process.env.DATABASE_URL;
    const onlySecretsMissing = error instanceof ConfigError && error.problems.every((p) => p.endsWith('required when DATABASE_URL is set'));
    if (!url || !onlySecretsMissing) throw error;
    return { url, poolSize: 2, dataDir: process.env.DATA_DIR || './data', limits: maintenanceLimits };
  }
}

await run('Seeding the catalogue failed', main);

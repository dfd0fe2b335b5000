import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { maintenanceLimits } from '../src/db/postgres.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { rebuildAggregates, vacuumAggregates } from '../src/modules/reports/index.ts';
import { run } from './run.ts';

/**
 * `npm run rebuild-aggregates`: recomputes every report aggregate from the recognition log, in one
 * transaction (after an upgrade that adds an aggregate, or to repair one), then vacuums and analyzes
 * them; non-zero exit on failure.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Maintenance runs long statements: no statement or lock timeout.
  const database = await openDatabase({ ...config.database, limits: maintenanceLimits });
  try {
    await migrateToLatest(database.db);
    const started = Date.now();
    await rebuildAggregates(database.db);
    await vacuumAggregates(database.db);
    process.stdout.write(`Report aggregates rebuilt from the log in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await database.close();
  }
}

await run('Rebuilding the report aggregates failed', main);

import { openDatabase } from '../src/db/database.ts';
import { maintenanceDatabase } from './maintenance-database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { rebuildAggregates, vacuumAggregates } from '../src/modules/reports/index.ts';
import { run } from './run.ts';

/**
 * `npm run rebuild-aggregates`: recomputes every report aggregate from the recognition log, in one
 * transaction (after an upgrade that adds an aggregate, or to repair one), then vacuums and analyzes
 * them; non-zero exit on failure.
 */
async function main(): Promise<void> {
  const database = await openDatabase(maintenanceDatabase());
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

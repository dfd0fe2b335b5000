import { openDatabase } from '../src/db/database.ts';
import { maintenanceDatabase } from './maintenance-database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { loadCatalogue } from '../src/demo/load.ts';
import { run } from './run.ts';

/**
 * `npm run seed:catalogue`: migrates the configured database and upserts the default exam-item
 * catalogue (the shipped items get their shipped values back; a region's own items are untouched).
 * Non-zero exit on failure.
 */
async function main(): Promise<void> {
  const database = await openDatabase(maintenanceDatabase());
  try {
    await migrateToLatest(database.db);
    const count = await database.db.transaction().execute((trx) => loadCatalogue(trx, new Date()));
    process.stdout.write(`Upserted ${count} catalogue items (database: ${database.kind})\n`);
  } finally {
    await database.close();
  }
}

await run('Seeding the catalogue failed', main);

import { openDatabase } from '../src/db/database.ts';
import { maintenanceDatabase } from './maintenance-database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { run } from './run.ts';

/** `npm run migrate`: applies pending migrations to the configured database; non-zero exit on failure. */
async function main(): Promise<void> {
  const database = await openDatabase(maintenanceDatabase());
  try {
    const outcome = await migrateToLatest(database.db);
    const applied = outcome.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
    process.stdout.write(
      applied.length > 0
        ? `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}\n`
        : 'The database is up to date\n',
    );
  } finally {
    await database.close();
  }
}

await run('Migration failed', main);

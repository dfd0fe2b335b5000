import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { maintenanceLimits } from '../src/db/postgres.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { run } from './run.ts';

/** `npm run migrate`: applies pending migrations to the configured database; non-zero exit on failure. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Maintenance runs long statements: no statement or lock timeout.
  const database = await openDatabase({ ...config.database, limits: maintenanceLimits });
  try {
    const outcome = await migrateToLatest(database.db);
    const applied = outcome.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
    process.stdout.write(
      applied.length > 0 ? `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}\n` : 'The database is up to date\n',
    );
  } finally {
    await database.close();
  }
}

await run('Migration failed', main);

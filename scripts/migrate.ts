import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/database.ts';
import { citusInstalled, describePlacement, distributeOnCitus } from '../src/db/citus.ts';
import { maintenanceDatabase } from './maintenance-database.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { run, UsageError } from './run.ts';

/**
 * `npm run migrate [-- --citus]`: applies pending migrations to the configured database; then, when the
 * database has the citus extension (required with --citus), places the tables on the cluster
 * (src/db/citus.ts, docs/scaling.md). Non-zero exit on failure.
 */
async function main(): Promise<void> {
  const { values } = usage(() => parseArgs({ options: { citus: { type: 'boolean', default: false } } }));
  const options = maintenanceDatabase();
  if (values.citus && !options.url)
    throw new UsageError('--citus needs DATABASE_URL: Citus is a PostgreSQL cluster, not the embedded database');
  const database = await openDatabase(options);
  try {
    const citus = database.kind === 'postgres' && (await citusInstalled(database.db));
    if (values.citus && !citus) {
      throw new UsageError(
        '--citus was given, but the database has no citus extension: run create extension citus on the coordinator and on every worker, then add the nodes',
      );
    }
    const outcome = await migrateToLatest(database.db);
    const applied = outcome.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
    process.stdout.write(
      applied.length > 0
        ? `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}\n`
        : 'The database is up to date\n',
    );
    if (citus) process.stdout.write(describePlacement(await distributeOnCitus(database.db)));
  } finally {
    await database.close();
  }
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (usage: npm run migrate [-- --citus])`);
  }
}

await run('Migration failed', main);

import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';

const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Loads the timestamped files of migrations/ in name order. */
class MigrationFolder implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(migrationsDir)).filter((f) => /^\d{14}_.+\.ts$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      migrations[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(migrationsDir + file).href)) as Migration;
    }
    return migrations;
  }
}

export function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new MigrationFolder() });
}

/** Runs every pending migration; throws (with the failing migration named) on failure. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const outcome = await migrator(db).migrateToLatest();
  if (outcome.error) {
    const failed = outcome.results?.find((r) => r.status === 'Error')?.migrationName;
    const what = failed ? `Migration ${failed} failed` : 'Migrating failed';
    throw new Error(`${what}: ${String((outcome.error as Error).message ?? outcome.error)}`, {
      cause: outcome.error,
    });
  }
  return outcome;
}

/** True when every migration in the folder has been applied. */
export async function isMigrated(db: Kysely<any>): Promise<boolean> {
  const migrations = await migrator(db).getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}

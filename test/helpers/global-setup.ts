import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { migratedSnapshot } from '../../src/db/embedded.ts';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrator.ts';
import type { TestProject } from 'vitest/node';
import { withDatabase } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    /** Embedded: a file holding a migrated, empty database's data directory. */
    embeddedSnapshot: string;
  }
}

/**
 * Migrations run once per test run, never per file. With DATABASE_URL set: a migrated template
 * database, which each test file clones (CREATE DATABASE … TEMPLATE). Without: a migrated embedded
 * database dumped to a file, which each test file loads (much faster than migrating, above all on a
 * busy machine).
 */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  const template = `mre_template_${process.pid}`;
  project.provide('templateDatabase', template);
  if (!url) {
    const directory = await mkdtemp(join(tmpdir(), 'mre-test-'));
    const snapshot = join(directory, 'migrated.tar');
    await writeFile(snapshot, Buffer.from(await (await migratedSnapshot()).arrayBuffer()));
    project.provide('embeddedSnapshot', snapshot);
    return () => rm(directory, { recursive: true, force: true });
  }
  project.provide('embeddedSnapshot', '');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: withDatabase(url, template), max: 1 }) }),
  });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`drop database if exists ${template}`);
    await client.end();
  };
}

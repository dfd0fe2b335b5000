import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrator.ts';
import type { TestProject } from 'vitest/node';
import { withDatabase } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * With DATABASE_URL set, migrate one template database per run; each test file clones it
 * (CREATE DATABASE … TEMPLATE), so files are isolated and migrations run once.
 */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  const template = `mre_template_${process.pid}`;
  project.provide('templateDatabase', template);
  if (!url) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: withDatabase(url, template), max: 1 }) }) });
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

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

function templateDatabase(): string {
  return inject('templateDatabase');
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database cloned from the migrated template; returns its URL and a dropper. */
export async function cloneTemplate(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mre_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name} template ${templateDatabase()}`);
  await admin.end();
  return {
    url: withDatabase(url, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

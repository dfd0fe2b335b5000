import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { openEmbedded } from '../src/db/embedded.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import { schemaFile, schemaTypes } from './db-types-generator.ts';
import { run } from './run.ts';

/** `npm run db:types`: regenerates src/db/schema.ts from the migrations, applied to an in-memory database. */
await run('Generating the database types failed', async () => {
  const database = await openEmbedded('memory');
  try {
    await migrateToLatest(database.db);
    await writeFile(schemaFile, await schemaTypes(database.db));
  } finally {
    await database.close();
  }
  process.stdout.write(`Wrote ${relative(process.cwd(), schemaFile)}\n`);
});

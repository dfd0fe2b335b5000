import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { generateOpenApiText, openapiFile } from './openapi-document.ts';
import { run } from './run.ts';

/** `npm run openapi`: regenerates openapi/openapi.json from the route declarations. */
await run('OpenAPI generation failed', async () => {
  const text = await generateOpenApiText();
  await mkdir(dirname(openapiFile), { recursive: true });
  await writeFile(openapiFile, text);
  process.stdout.write(`Wrote ${relative(process.cwd(), openapiFile)}\n`);
});

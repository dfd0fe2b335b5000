/**
 * The FHIR R4 API: transaction and batch Bundles of DiagnosticReport, Observation, ImagingStudy and
 * Patient submitted as results, searches of a patient's prior results as DiagnosticReport or
 * ImagingStudy, the CapabilityStatement and SMART discovery, every error an OperationOutcome. Owns no
 * tables: results go through the results service, codes through the registry's snapshot.
 */
export { analyteCodeSystem, hospitalIdentifierSystem } from './codes.ts';
export { fhirRoutes } from './routes.ts';
export { createFhirService, fhirBasePath, type FhirService } from './service.ts';
export { validatedResourceTypes } from './validation.ts';

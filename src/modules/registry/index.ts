/**
 * The registry: hospitals, recognition scopes, the exam-item catalogue, local code maps and
 * certification timelines, and the in-memory snapshot of them that checks are judged against. Owns
 * hospitals, scopes, items, code_maps, certification_events and the registry versions.
 */
export { catalogueByCode, defaultCatalogue, type CatalogueEntry, type PriceTier } from './default-catalogue.ts';
export type { CertificationRecorded } from './mappers.ts';
export {
  itemCodeSystem,
  itemForCodings,
  localCodeSystem,
  localCodeSystemPrefix,
  loincSystem,
  type CodedItem,
  type FhirCoding,
} from './fhir-codes.ts';
export { findHospital } from './repository.ts';
export { registryRoutes } from './routes.ts';
export { certificationBody } from './schemas.ts';
export { createRegistryService, type RegistryService } from './service.ts';
export {
  createRegistrySnapshots,
  holdRegistryVersion,
  readRegistry,
  registryVersionQuery,
  type RegistrySnapshot,
  type RegistrySnapshots,
} from './snapshot.ts';

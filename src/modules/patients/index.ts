/** Patients without identities: ID numbers validated and turned into keyed HMACs at the edge. */
export {
  derivePatientKey,
  generateResidentId,
  normaliseIdNumber,
  patientKey,
  residentIdCheckChar,
  validateResidentId,
  type IdType,
  type PatientIdentity,
} from './identity.ts';
export {
  identityFromFhirIdentifiers,
  identifierTypeSystem,
  identitySystems,
  otherIdentitySystem,
  passportSystem,
  residentIdSystem,
  type FhirIdentifier,
} from './fhir-identifiers.ts';

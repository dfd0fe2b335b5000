// How a patient's identity travels in FHIR: the Identifier systems this service reads and writes, and
// the identity (the one a patient key is derived from) picked from a resource's identifiers. Every
// FHIR-speaking part of the service (CDS Hooks, FHIR R4) uses these, so the same person is the same
// patient key whichever way a hospital calls.
import type { IdType, PatientIdentity } from './identity.ts';

/** The national OID for resident ID numbers (居民身份证号码). */
export const residentIdSystem = 'urn:oid:2.16.156.10011.1.3';
/** Passport numbers, whatever the issuing country (the patient key does not include it). */
export const passportSystem = 'https://mutual-recognition.dev/fhir/identifier/passport';
/** Any other identity document the hospitals agree on (the API's `other`). */
export const otherIdentitySystem = 'https://mutual-recognition.dev/fhir/identifier/other';

/** HL7 v2 table 0203 (identifier type): `PPN` marks a passport number under any system. */
export const identifierTypeSystem = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** Each ID type's system, for writing identifiers. */
export const identitySystems: Record<IdType, string> = {
  resident_id: residentIdSystem,
  passport: passportSystem,
  other: otherIdentitySystem,
};

/** The parts of a FHIR Identifier read here. */
export interface FhirIdentifier {
  use?: string;
  system?: string;
  value?: string;
  type?: { coding?: readonly { system?: string; code?: string }[] };
}

/** An ID type is read in this order when a resource carries several. */
const preference: readonly IdType[] = ['resident_id', 'passport', 'other'];

function idTypeOf(identifier: FhirIdentifier): IdType | null {
  if (identifier.system === residentIdSystem) return 'resident_id';
  if (identifier.system === passportSystem) return 'passport';
  if (identifier.type?.coding?.some((c) => c.system === identifierTypeSystem && c.code === 'PPN')) return 'passport';
  if (identifier.system === otherIdentitySystem) return 'other';
  return null;
}

/**
 * The patient identity among a resource's identifiers: a resident ID first, then a passport (by its
 * system, or any identifier typed `PPN`), then another identity document; identifiers marked `old`
 * and blank values are skipped. Null when none of them is one this service knows. The number is only
 * trimmed: validation and normalisation are `derivePatientKey`'s.
 */
export function identityFromFhirIdentifiers(identifiers: readonly FhirIdentifier[] | null | undefined): PatientIdentity | null {
  const found = new Map<IdType, string>();
  for (const identifier of identifiers ?? []) {
    const value = typeof identifier.value === 'string' ? identifier.value.trim() : '';
    if (identifier.use === 'old' || value === '') continue;
    const idType = idTypeOf(identifier);
    if (idType && !found.has(idType)) found.set(idType, value);
  }
  const idType = preference.find((type) => found.has(type));
  return idType ? { idType, idNumber: found.get(idType)! } : null;
}

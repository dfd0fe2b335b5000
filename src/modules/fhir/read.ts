// GET [base]/DiagnosticReport/{id} and GET [base]/ImagingStudy/{id}: one result by the id a searchset's
// fullUrl names, through the results service's audited read (purpose treatment, the practitioner named).
import type { DiagnosticReport, ImagingStudy, Patient, Reference } from '@medplum/fhirtypes';
import { Forbidden, NotFound } from '../../errors.ts';
import { smartPermits, type Actor } from '../auth/index.ts';
import type { RegistrySnapshot } from '../registry/index.ts';
import { disclosureHours, type ResultService } from '../results/index.ts';
import { imagingItemCodes, toDiagnosticReport, toImagingStudy } from './resources.ts';
import type { SearchedType } from './search.ts';

export interface ReadDeps {
  results: ResultService;
  registry: () => Promise<RegistrySnapshot>;
}

/**
 * A read by id names no patient, and the exchange keeps none (results are indexed by a keyed
 * pseudonym): the subject is a reference without its identifier, marked masked.
 */
export const maskedSubject: Reference<Patient> = {
  extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }],
  display: 'The patient is not disclosed by id: search with patient.identifier',
};

/** Who may read what, as the CapabilityStatement and the OpenAPI document say it. */
export const readDocumentation =
  `By the id a search gave (its fullUrl): a hospital reads its own results, those it recognised, and those its searches or checks named in the last ${disclosureHours} hours ` +
  '(reading again does not extend that); any other id is 404. X-Practitioner-Id names the doctor; the purpose is treatment, and every read is audited. ' +
  'The subject is masked (data-absent-reason): results are indexed by a pseudonym, so only a search by patient.identifier names the patient.';

export function createRead({ results, registry }: ReadDeps) {
  return async function read(
    actor: Actor,
    type: SearchedType,
    resultId: string,
    practitionerId: string,
  ): Promise<DiagnosticReport | ImagingStudy> {
    if (!smartPermits(actor.scopes, type, 'r'))
      throw new Forbidden(`The token's SMART scopes do not allow reading ${type} (system/${type}.r)`);
    const snapshot = await registry();
    const itemCodes = type === 'ImagingStudy' ? imagingItemCodes(snapshot) : undefined;
    try {
      const result = await results.read(actor, { resultId, practitionerId, itemCodes });
      const context = { subject: maskedSubject, registry: snapshot };
      return type === 'ImagingStudy' ? toImagingStudy(result, context) : toDiagnosticReport(result, context);
    } catch (error) {
      if (error instanceof NotFound) throw new NotFound(`No ${type}/${resultId} is visible to this client`).about(error.subject);
      throw error;
    }
  };
}

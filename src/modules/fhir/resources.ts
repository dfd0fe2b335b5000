// Results as FHIR R4 resources: a DiagnosticReport (its analytes as contained Observations, an
// imaging result pointing at its ImagingStudy) or an ImagingStudy. Both take the result's id.
import type {
  CodeableConcept,
  Coding,
  DiagnosticReport,
  ImagingStudy,
  Observation,
  Organization,
  Patient,
  Reference,
} from '@medplum/fhirtypes';
import { imagingCategories, type Category } from '../rules/index.ts';
import { itemCodeSystem, loincSystem, type RegistrySnapshot } from '../registry/index.ts';
import type { ResultService } from '../results/index.ts';
import {
  accessionSystem,
  analyteCodeSystem,
  diagnosticServiceSystem,
  dicomSystem,
  dicomUidSystem,
  hospitalIdentifierSystem,
  identifierTypeSystem,
  interpretationSystem,
  loincPattern,
  modalities,
  observationCategorySystem,
  serviceSections,
} from './codes.ts';

export type IndexedResult = Awaited<ReturnType<ResultService['search']>>['results'][number];
type Analyte = NonNullable<IndexedResult['analytes']>[number];

export const isImaging = (category: string) => (imagingCategories as readonly string[]).includes(category);

/** The catalogue's imaging items: what an ImagingStudy may be. */
export const imagingItemCodes = (registry: RegistrySnapshot) =>
  [...registry.items.values()].filter((i) => isImaging(i.category)).map((i) => i.code);

/** What the mapping needs besides the result: the searched patient and the catalogue's LOINC codes. */
export interface ResourceContext {
  subject: Reference<Patient>;
  registry: RegistrySnapshot;
}

const observationStatuses: Record<string, Observation['status']> = {
  registered: 'registered',
  partial: 'preliminary',
  preliminary: 'preliminary',
  final: 'final',
  amended: 'amended',
  corrected: 'corrected',
  appended: 'amended',
  cancelled: 'cancelled',
  'entered-in-error': 'entered-in-error',
};

// HL7 v3 ObservationInterpretation codes a flag may be; any other flag travels as text.
const interpretationCodes = new Set([
  '<',
  '>',
  'A',
  'AA',
  'B',
  'D',
  'DET',
  'H',
  'HH',
  'HU',
  'I',
  'L',
  'LL',
  'LU',
  'N',
  'ND',
  'NEG',
  'POS',
  'R',
  'S',
  'U',
  'W',
]);

function itemConcept(result: IndexedResult, registry: RegistrySnapshot): CodeableConcept {
  const loinc = registry.items.get(result.itemCode)?.loinc ?? [];
  return {
    coding: [
      { system: itemCodeSystem, code: result.itemCode, display: result.itemName },
      ...loinc.map((code) => ({ system: loincSystem, code })),
    ],
    text: result.itemName,
  };
}

const issuer = (result: IndexedResult): Reference<Organization> => ({
  identifier: { system: hospitalIdentifierSystem, value: result.issuingHospital.id },
  display: result.issuingHospital.name,
});

/** An analyte's codings: the catalogue's analyte code (and the LOINC code of the single-analyte item that measures it), or a LOINC code as given. */
function analyteCodings(code: string, registry: RegistrySnapshot): Coding[] {
  if (loincPattern.test(code)) return [{ system: loincSystem, code }];
  const single = [...registry.items.values()].find(
    (item) => item.analytes?.length === 1 && item.analytes[0] === code && item.loinc?.length,
  );
  return [{ system: analyteCodeSystem, code }, ...(single ? [{ system: loincSystem, code: single.loinc![0] }] : [])];
}

function observationOf(result: IndexedResult, analyte: Analyte, index: number, context: ResourceContext): Observation {
  const value =
    typeof analyte.value === 'number'
      ? { valueQuantity: { value: analyte.value, ...(analyte.unit ? { unit: analyte.unit } : {}) } }
      : { valueString: analyte.value };
  const flag = analyte.flag;
  return {
    resourceType: 'Observation',
    id: `analyte-${index + 1}`,
    status: observationStatuses[result.status] ?? 'unknown',
    category: [{ coding: [{ system: observationCategorySystem, code: 'laboratory' }] }],
    code: { coding: analyteCodings(analyte.code, context.registry), text: analyte.code },
    subject: context.subject,
    effectiveDateTime: result.performedAt.toISOString(),
    ...value,
    ...(analyte.referenceRange ? { referenceRange: [{ text: analyte.referenceRange }] } : {}),
    ...(flag
      ? { interpretation: [interpretationCodes.has(flag) ? { coding: [{ system: interpretationSystem, code: flag }] } : { text: flag }] }
      : {}),
  };
}

export function toDiagnosticReport(result: IndexedResult, context: ResourceContext): DiagnosticReport {
  const observations = (result.analytes ?? []).map((analyte, i) => observationOf(result, analyte, i, context));
  return {
    resourceType: 'DiagnosticReport',
    id: result.resultId,
    meta: { versionId: String(result.version) },
    ...(observations.length > 0 ? { contained: observations } : {}),
    identifier: [
      {
        use: 'official',
        type: { coding: [{ system: identifierTypeSystem, code: 'ACSN' }] },
        system: accessionSystem(result.issuingHospital.id),
        value: result.accessionNo,
        assigner: issuer(result),
      },
    ],
    status: result.status,
    category: [{ coding: [{ system: diagnosticServiceSystem, code: serviceSections[result.category as Category] }] }],
    code: itemConcept(result, context.registry),
    subject: context.subject,
    effectiveDateTime: result.performedAt.toISOString(),
    ...(result.reportedAt ? { issued: result.reportedAt.toISOString() } : {}),
    performer: [issuer(result)],
    ...(observations.length > 0 ? { result: observations.map((o) => ({ reference: `#${o.id}` })) } : {}),
    ...(isImaging(result.category) ? { imagingStudy: [{ reference: `ImagingStudy/${result.resultId}` }] } : {}),
    ...(result.findings ? { conclusion: result.findings } : {}),
  };
}

/**
 * Withdrawn results keep their status; otherwise `available` when the images can be retrieved (the
 * contract's rule: imagesAvailable, or not said and a study UID given), `registered` when they cannot.
 */
function studyStatus(result: IndexedResult): ImagingStudy['status'] {
  if (result.status === 'cancelled' || result.status === 'entered-in-error') return result.status;
  const retrievable = result.imagesAvailable ?? (result.studyUid ? true : null);
  return retrievable === null ? 'unknown' : retrievable ? 'available' : 'registered';
}

export function toImagingStudy(result: IndexedResult, context: ResourceContext): ImagingStudy {
  const modality = modalities[result.category as Category];
  return {
    resourceType: 'ImagingStudy',
    id: result.resultId,
    meta: { versionId: String(result.version) },
    identifier: [
      ...(result.studyUid ? [{ system: dicomUidSystem, value: `urn:oid:${result.studyUid}` }] : []),
      {
        type: { coding: [{ system: identifierTypeSystem, code: 'ACSN' }] },
        system: accessionSystem(result.issuingHospital.id),
        value: result.accessionNo,
      },
    ],
    status: studyStatus(result),
    ...(modality ? { modality: [{ system: dicomSystem, code: modality }] } : {}),
    subject: context.subject,
    started: result.performedAt.toISOString(),
    procedureCode: [itemConcept(result, context.registry)],
    description: result.itemName,
  };
}

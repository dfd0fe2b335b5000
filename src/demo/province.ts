// A deterministic demo province: the same `now` always gives the same hospitals, scopes,
// certifications, clients, patients and results (a seeded PRNG; no Math.random, no clock reads).
// Results are dated relative to `now`, so a freshly loaded demo always has recent results.
// Demo data only: the credentials are public (docs/demo.md), so it must never reach production.
import type { AnalyteValue } from '../db/json-columns.ts';
import { defaultCatalogue, type CatalogueEntry } from '../modules/registry/index.ts';
import { demoCertifications, demoClients, type DemoCertification, type DemoClient } from './certifications.ts';
import { demoHospitals, demoScopes, type DemoHospital, type DemoScope } from './hospitals.ts';
import { seededRandom } from './random.ts';
import { createResultGenerator, type DemoResult } from './results.ts';

export type { DemoCertification, DemoClient, DemoHospital, DemoResult, DemoScope };

export interface DemoCodeMap {
  hospitalId: string;
  localCode: string;
  itemCode: string;
}

export interface DemoProvince {
  catalogue: CatalogueEntry[];
  hospitals: DemoHospital[];
  scopes: DemoScope[];
  certifications: DemoCertification[];
  clients: DemoClient[];
  codeMaps: DemoCodeMap[];
  /** Normalised resident ID numbers, the demo patient first. */
  patients: string[];
  results: DemoResult[];
}

const SEED = 20_220_301; // the Measures took effect on 1 March 2022
const RANDOM_PATIENTS = 299;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The documented walk-through patient (docs/demo.md): a valid resident ID, born 1978-06-15 in Xihu, Hangzhou. */
export const demoPatient = { idType: 'resident_id', idNumber: '330106197806154271' } as const;

/** HZ-001's local HIS codes (pinyin initials), so submissions may use `localCode`. */
const hz001LocalCodes: [string, string][] = [
  ['XCG', 'LAB-CBC'],
  ['GGN', 'LAB-LFT'],
  ['SGN', 'LAB-RFT'],
  ['XBZCW', 'XR-CHEST'],
  ['XBCTPS', 'CT-CHEST'],
  ['NCG', 'LAB-URINE'],
];

export function buildDemoProvince(now: Date): DemoProvince {
  const catalogue = defaultCatalogue;
  const codes = new Set(catalogue.map((entry) => entry.code));
  const generator = createResultGenerator({ random: seededRandom(SEED), now, hospitals: demoHospitals, catalogue });
  const seen = new Set<string>([demoPatient.idNumber]);
  const patients: string[] = [demoPatient.idNumber];
  const results: DemoResult[] = demoPatientResults(now);
  for (let i = 0; i < RANDOM_PATIENTS; i += 1) {
    const patient = generator.patient(seen);
    patients.push(patient.idNumber);
    results.push(...patient.results);
  }
  const unknown = results.map((r) => r.itemCode).filter((code) => !codes.has(code));
  if (unknown.length > 0) throw new Error(`demo results name items outside the catalogue: ${[...new Set(unknown)].join(', ')}`);
  return {
    catalogue,
    hospitals: demoHospitals,
    scopes: demoScopes,
    certifications: demoCertifications(now),
    clients: demoClients(),
    codeMaps: hz001LocalCodes.map(([localCode, itemCode]) => ({ hospitalId: 'HZ-001', localCode, itemCode })),
    patients,
    results,
  };
}

/**
 * The walk-through: checked at NB-001 (tertiary, Ningbo), the chest CT (HZ-001, 10 days ago) and the
 * blood count (HZ-005, 3 days ago) are recognisable, the liver panel (SX-002, 45 days ago, 30-day
 * window) has expired, and the abdominal ultrasound (WZ-008, 5 days ago) falls under that hospital's
 * retroactive revocation.
 */
function demoPatientResults(now: Date): DemoResult[] {
  const at = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const reported = (performedAt: Date, hours: number) => new Date(performedAt.getTime() + hours * HOUR_MS);
  const common = { patientIdNumber: demoPatient.idNumber, status: 'final', criticalOpen: false } as const;
  const lab = { ...common, kind: 'data', imagesAvailable: null, studyUid: null, equipment: null, findings: null } as const;
  const image = { ...common, kind: 'images', imagesAvailable: true, analytes: null } as const;
  const ct = at(10);
  const cbc = at(3);
  const lft = at(45);
  const us = at(5);
  return [
    {
      ...image,
      accessionNo: 'HZ-001-DEMO-0001',
      issuingHospitalId: 'HZ-001',
      itemCode: 'CT-CHEST',
      performedAt: ct,
      reportedAt: reported(ct, 3),
      studyUid: '1.2.156.600734.1.900001',
      equipment: { sliceCount: 64, model: 'Optima CT660' },
      findings: '右肺上叶见一枚约4mm实性小结节，建议年度随访。',
    },
    {
      ...lab,
      accessionNo: 'HZ-005-DEMO-0001',
      issuingHospitalId: 'HZ-005',
      itemCode: 'LAB-CBC',
      performedAt: cbc,
      reportedAt: reported(cbc, 1),
      analytes: demoCbc,
    },
    {
      ...lab,
      accessionNo: 'SX-002-DEMO-0001',
      issuingHospitalId: 'SX-002',
      itemCode: 'LAB-LFT',
      performedAt: lft,
      reportedAt: reported(lft, 4),
      analytes: demoLft,
    },
    {
      ...image,
      accessionNo: 'WZ-008-DEMO-0001',
      issuingHospitalId: 'WZ-008',
      itemCode: 'US-ABD',
      performedAt: us,
      reportedAt: reported(us, 1),
      studyUid: '1.2.156.600734.38.900001',
      equipment: null,
      findings: '脂肪肝（轻度）。',
    },
  ];
}

const demoCbc: AnalyteValue[] = [
  { code: 'WBC', value: 6.42, unit: '10^9/L', referenceRange: '3.5-9.5' },
  { code: 'RBC', value: 4.71, unit: '10^12/L', referenceRange: '4.3-5.8' },
  { code: 'HGB', value: 142, unit: 'g/L', referenceRange: '130-175' },
  { code: 'HCT', value: 42.6, unit: '%', referenceRange: '40-50' },
  { code: 'MCV', value: 90.4, unit: 'fL', referenceRange: '82-100' },
  { code: 'MCH', value: 30.1, unit: 'pg', referenceRange: '27-34' },
  { code: 'MCHC', value: 333, unit: 'g/L', referenceRange: '316-354' },
  { code: 'PLT', value: 236, unit: '10^9/L', referenceRange: '125-350' },
  { code: 'NEUT', value: 61.2, unit: '%', referenceRange: '40-75' },
  { code: 'LYMPH', value: 29.8, unit: '%', referenceRange: '20-50' },
];

const demoLft: AnalyteValue[] = [
  { code: 'ALT', value: 62, unit: 'U/L', referenceRange: '9-50', flag: 'H' },
  { code: 'AST', value: 38, unit: 'U/L', referenceRange: '15-40' },
  { code: 'TBIL', value: 14.2, unit: 'umol/L', referenceRange: '3.4-20.5' },
  { code: 'DBIL', value: 4.1, unit: 'umol/L', referenceRange: '0-6.8' },
  { code: 'ALB', value: 44.5, unit: 'g/L', referenceRange: '40-55' },
  { code: 'ALP', value: 88, unit: 'U/L', referenceRange: '45-125' },
  { code: 'GGT', value: 71, unit: 'U/L', referenceRange: '10-60', flag: 'H' },
];

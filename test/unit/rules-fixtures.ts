// Small fact factories for the rules engine tests. Every default decides RECOGNIZABLE:
// a final CT chest from a secondary Hangzhou hospital, certified province-wide, read five days later.
import { DAY_MS } from '../../src/calendar.ts';
import type {
  CatalogueItem,
  CertificationEvent,
  CheckContext,
  DecisionFacts,
  HospitalFacts,
  ResultFacts,
  RuleSet,
  ScopeFacts,
} from '../../src/modules/rules/types.ts';

export { DAY_MS };
export const SECOND_MS = 1_000;

export const PERFORMED_AT = new Date('2026-11-20T02:00:00.000Z');
export const CERTIFIED_FROM = new Date('2026-01-01T00:00:00.000Z');
export const NOW = new Date(PERFORMED_AT.getTime() + 5 * DAY_MS);

export const at = (iso: string): Date => new Date(iso);
export const daysAfter = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY_MS);

export function item(overrides: Partial<CatalogueItem> = {}): CatalogueItem {
  return {
    code: 'CT-CHEST',
    name: 'CT chest',
    category: 'ct',
    validityDays: 30,
    negativeList: false,
    analytes: null,
    prices: { A: 300, B: 260 },
    minutesSaved: 60,
    radiationMsv: 7,
    ...overrides,
  };
}

export const items = {
  ctChest: item(),
  mriBrain: item({ code: 'MRI-BRAIN', name: 'MRI brain', category: 'mri', prices: { A: 600 }, minutesSaved: 120, radiationMsv: null }),
  xrayChest: item({ code: 'XR-CHEST', name: 'Chest X-ray', category: 'xray', prices: { A: 80 }, minutesSaved: 30, radiationMsv: 0.1 }),
  usAbdomen: item({
    code: 'US-ABD',
    name: 'Abdominal ultrasound',
    category: 'ultrasound',
    validityDays: 7,
    prices: { A: 120 },
    minutesSaved: 45,
    radiationMsv: null,
  }),
  petCt: item({ code: 'NM-PET', name: 'PET-CT', category: 'nuclear', prices: { A: 7000 }, minutesSaved: 120, radiationMsv: 14.1234 }),
  ecg: item({
    code: 'ECG-REST',
    name: 'Resting ECG',
    category: 'ecg',
    validityDays: 7,
    prices: { A: 25 },
    minutesSaved: 15,
    radiationMsv: null,
  }),
  liverPanel: item({
    code: 'LAB-LFT',
    name: 'Liver function panel',
    category: 'lab',
    analytes: ['ALT', 'AST', 'TBIL', 'ALB'],
    prices: { A: 60 },
    minutesSaved: 30,
    radiationMsv: null,
  }),
  alt: item({
    code: 'LAB-ALT',
    name: 'ALT',
    category: 'lab',
    validityDays: 7,
    analytes: ['ALT'],
    prices: { A: 12, B: 10 },
    minutesSaved: 30,
    radiationMsv: null,
  }),
  troponin: item({
    code: 'LAB-TNI',
    name: 'Troponin I',
    category: 'lab',
    negativeList: true,
    analytes: ['TNI'],
    prices: { A: 90 },
    minutesSaved: 30,
    radiationMsv: null,
  }),
  biopsy: item({
    code: 'PATH-BX',
    name: 'Biopsy histology',
    category: 'pathology',
    prices: { A: 400 },
    minutesSaved: 0,
    radiationMsv: null,
  }),
} satisfies Record<string, CatalogueItem>;

export function hospital(overrides: Partial<HospitalFacts> = {}): HospitalFacts {
  return {
    id: 'H-ISSUER',
    name: 'Hangzhou Second People',
    tier: 'secondary',
    province: 'Zhejiang',
    city: 'Hangzhou',
    priceTier: 'A',
    ...overrides,
  };
}

export function scope(overrides: Partial<ScopeFacts> = {}): ScopeFacts {
  return { id: 'S-ZJ', level: 'province', name: 'Zhejiang', region: 'Zhejiang', members: null, items: null, ...overrides };
}

export function certEvent(overrides: Partial<CertificationEvent> = {}): CertificationEvent {
  return {
    scopeId: 'S-ZJ',
    itemCode: null,
    category: null,
    status: 'active',
    effectiveFrom: CERTIFIED_FROM,
    recordedAt: CERTIFIED_FROM,
    ...overrides,
  };
}

export function ruleSet(overrides: Partial<RuleSet> = {}): RuleSet {
  return { version: 1, tierDirection: 'symmetric', lookbackDays: 30, ...overrides };
}

export interface FactOverrides {
  requestedItem?: CatalogueItem;
  resultItem?: CatalogueItem;
  result?: Partial<ResultFacts>;
  issuer?: Partial<HospitalFacts>;
  receiver?: Partial<HospitalFacts>;
  scopes?: ScopeFacts[];
  certifications?: CertificationEvent[];
  context?: CheckContext;
}

export function makeFacts(o: FactOverrides = {}): DecisionFacts {
  const requestedItem = o.requestedItem ?? items.ctChest;
  const resultItem = o.resultItem ?? requestedItem;
  const issuer = hospital(o.issuer);
  const receiver = hospital({
    id: 'H-RECEIVER',
    name: 'Zhejiang Provincial People',
    tier: 'tertiary',
    ...o.receiver,
  });
  const result: ResultFacts = {
    id: 'R-1',
    accessionNo: 'ACC-1',
    issuingHospitalId: issuer.id,
    itemCode: resultItem.code,
    kind: resultItem.category === 'lab' ? 'data' : 'images',
    status: 'final',
    performedAt: PERFORMED_AT,
    reportedAt: new Date(PERFORMED_AT.getTime() + 3_600_000),
    imagesAvailable: null,
    studyUid: '1.2.840.10008.1',
    criticalOpen: false,
    equipment: null,
    analyteCodes: [],
    ...o.result,
  };
  return {
    requestedItem,
    result,
    resultItem,
    issuer,
    receiver,
    scopes: o.scopes ?? [scope()],
    certifications: o.certifications ?? [certEvent()],
    context: o.context ?? {},
  };
}

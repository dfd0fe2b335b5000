// The facts the rules engine decides on. The recognition service loads them in one round and passes
// them in; the engine never reads anything else (no database, no clock).
import type {
  Category,
  CertificationStatus,
  DeclineCode,
  GateName,
  ReasonCode,
  ReportStatus,
  ScopeLevel,
  Tier,
  TierPolicy,
} from './codes.ts';

export type {
  Category,
  CertificationStatus,
  DeclineCode,
  GateName,
  ReasonCode,
  ReportStatus,
  ScopeLevel,
  Tier,
  TierPolicy,
} from './codes.ts';

export interface CatalogueItem {
  code: string;
  name: string;
  /** The Chinese name, for explanations in Chinese. */
  nameZh?: string | null;
  category: Category;
  validityDays: number;
  negativeList: boolean;
  /** Analyte codes of a lab item (panel or single test); null for non-lab items. */
  analytes: string[] | null;
  /** Price in yuan per price tier. */
  prices: Record<string, number>;
  minutesSaved: number;
  /** Typical effective dose; only counted as avoided for xray, ct and nuclear. */
  radiationMsv: number | null;
  /** The item's LOINC codes, for naming it in FHIR; no rule reads them. */
  loinc?: readonly string[] | null;
}

export interface HospitalFacts {
  id: string;
  name: string;
  tier: Tier;
  province: string;
  city: string;
  priceTier: string | null;
}

export interface ScopeFacts {
  id: string;
  level: ScopeLevel;
  name: string;
  /** The city (level city) or province (level province) the scope covers; null otherwise. */
  region: string | null;
  /** A city scope's province, when given: a hospital must be in that city of that province. */
  province?: string | null;
  /** Member hospital ids for consortium and alliance scopes; ignored for the other levels. */
  members: string[] | null;
  /** Item codes on the scope's list; null = every catalogue item. */
  items: string[] | null;
}

export interface CertificationEvent {
  /** The registry's id of the event, where it has been stored. */
  id?: number;
  scopeId: string;
  /** itemCode and category both null = the event covers every item. */
  itemCode: string | null;
  category: Category | null;
  status: CertificationStatus;
  /** From when the status holds; may lie before recordedAt (a retroactive revocation). */
  effectiveFrom: Date;
  recordedAt: Date;
}

export interface ResultFacts {
  id: string;
  accessionNo: string;
  issuingHospitalId: string;
  itemCode: string;
  kind: 'data' | 'images' | 'conclusion';
  status: ReportStatus;
  performedAt: Date;
  reportedAt: Date | null;
  /** true/false when the issuer said so; null = unknown, then a studyUid means retrievable. */
  imagesAvailable: boolean | null;
  studyUid: string | null;
  criticalOpen: boolean;
  equipment: ({ sliceCount?: number; thinSlice?: boolean } & Record<string, unknown>) | null;
  analyteCodes: string[];
}

export interface RuleSet {
  version: number;
  tierDirection: TierPolicy;
  /** Used by the caller to pick candidate results; the engine judges each candidate by its item window. */
  lookbackDays: number;
}

export interface CheckContext {
  emergency?: boolean;
  preSurgery?: boolean;
  preTransfusion?: boolean;
  conditionChanged?: boolean;
  rapidChange?: boolean;
  forensic?: boolean;
  patientRequest?: boolean;
  needsThinSlice?: boolean;
}

export interface DecisionFacts {
  requestedItem: CatalogueItem;
  result: ResultFacts;
  /** The catalogue entry of result.itemCode (the same object as requestedItem when the codes match). */
  resultItem: CatalogueItem;
  issuer: HospitalFacts;
  receiver: HospitalFacts;
  /** Every scope of the region. */
  scopes: ScopeFacts[];
  /** The issuer's certification events (any scope, any coverage). */
  certifications: CertificationEvent[];
  context: CheckContext;
}

export interface GateReport {
  gate: GateName;
  passed: boolean;
  code?: ReasonCode;
  detail?: string;
}

export interface Savings {
  yuan: number;
  minutes: number;
  radiationMsv: number;
}

export interface Decision {
  outcome: 'RECOGNIZABLE' | 'NOT_RECOGNIZABLE';
  retestPermitted: boolean;
  /** One code per failing gate, in gate order; reasons[0] decides. */
  reasons: ReasonCode[];
  advisories: DeclineCode[];
  /** Every gate, in order, passed or not. */
  gates: GateReport[];
  /** What recognising would save; reported for every outcome, the caller logs it only when recognised. */
  savings: Savings;
  ruleSetVersion?: number;
  /** The last second (inclusive, its start) in which the result is within its window; absent without a usable time. */
  validUntil?: Date;
}

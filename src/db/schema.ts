import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Table types. int8 and numeric are parsed as numbers by both drivers (see database.ts). */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export interface ClientsTable {
  client_id: string;
  hospital_id: string | null;
  scopes: string[];
  secret_hash: string | null;
  jwks: Json<{ keys: Record<string, unknown>[] }> | null;
  description: string | null;
  created_at: CreatedAt;
  disabled_at: Timestamp | null;
}

export interface SigningKeysTable {
  kid: string;
  public_jwk: Json<Record<string, unknown>>;
  first_used_at: CreatedAt;
  retired_at: Timestamp | null;
}

export interface ClientAssertionsTable {
  client_id: string;
  jti: string;
  expires_at: Timestamp;
}

export interface HospitalsTable {
  id: string;
  name: string;
  tier: string;
  grade: string | null;
  province: string;
  city: string;
  county: string | null;
  price_tier: string | null;
  /** A number for each hospital, the key of the flow aggregates. */
  num: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ScopesTable {
  id: string;
  level: string;
  name: string;
  region: string | null;
  /** For a city scope: the province of `region`, when given. */
  province: ColumnType<string | null, string | null | undefined, string | null>;
  members: string[] | null;
  items: string[] | null;
  updated_at: Timestamp;
}

export interface ItemsTable {
  code: string;
  name: string;
  name_zh: string | null;
  category: string;
  validity_days: number;
  negative_list: boolean;
  analytes: string[] | null;
  prices: Json<Record<string, number>>;
  minutes_saved: number;
  radiation_msv: number | null;
  loinc: string[] | null;
  updated_at: Timestamp;
}

export interface CodeMapsTable {
  hospital_id: string;
  local_code: string;
  item_code: string;
}

export interface CertificationEventsTable {
  id: Generated<number>;
  hospital_id: string;
  item_code: string | null;
  category: string | null;
  scope_id: string;
  status: string;
  effective_from: Timestamp;
  note: string | null;
  recorded_at: CreatedAt;
  recorded_by: string;
}

export interface ResultsTable {
  id: Generated<string>;
  issuing_hospital_id: string;
  accession_no: string;
  patient_key: string;
  item_code: string;
  local_code: string | null;
  kind: string;
  status: string;
  performed_at: Timestamp;
  reported_at: Timestamp | null;
  images_available: boolean | null;
  study_uid: string | null;
  critical_open: boolean;
  equipment: Json<Record<string, unknown>> | null;
  analytes: Json<AnalyteValue[]> | null;
  analyte_codes: string[];
  findings: string | null;
  content_hash: string;
  version: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AnalyteValue {
  code: string;
  value: string | number;
  unit?: string;
  referenceRange?: string;
  flag?: string;
}

export interface ResultVersionsTable {
  result_id: string;
  version: number;
  content: Json<Record<string, unknown>>;
  content_hash: string;
  recorded_at: CreatedAt;
  recorded_by: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  occurred_at: CreatedAt;
  action: string;
  client_id: string | null;
  hospital_id: string | null;
  practitioner_id: string | null;
  purpose: string | null;
  patient_key: string | null;
  check_id: string | null;
  result_ids: string[];
  outcome: Generated<'success' | 'refused' | 'failed'>;
  outcome_detail: string | null;
  source_address: string | null;
  request_id: string | null;
  query: Json<Record<string, unknown>> | null;
}

export interface IdempotencyKeysTable {
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  status_code: number;
  response: Json<Record<string, unknown>>;
  created_at: Date;
}

export interface RuleSetsTable {
  version: number;
  tier_direction: string;
  lookback_days: number;
  created_at: CreatedAt;
  created_by: string;
}

export interface RecognitionChecksTable {
  id: Generated<string>;
  receiving_hospital_id: string;
  client_id: string;
  practitioner_id: string;
  patient_key: string;
  purpose: string;
  context: Json<Record<string, boolean>>;
  rule_set_version: number;
  created_at: CreatedAt;
}

export interface CheckItemsTable {
  check_id: string;
  item_code: string;
  position: number;
  has_recognizable: boolean;
}

export interface CheckCandidatesTable {
  check_id: string;
  item_code: string;
  result_id: string;
  issuing_hospital_id: string;
  outcome: string;
  retest_permitted: boolean;
  reasons: string[];
  advisories: string[];
  yuan: number;
  minutes: number;
  radiation_msv: number;
}

export interface RecognitionDecisionsTable {
  id: Generated<string>;
  check_id: string;
  item_code: string;
  result_id: string;
  receiving_hospital_id: string;
  issuing_hospital_id: string;
  client_id: string;
  practitioner_id: string;
  action: string;
  reason_code: string | null;
  reason_text: string | null;
  flagged: boolean;
  yuan: number;
  minutes: number;
  radiation_msv: number;
  rule_set_version: number;
  decided_at: CreatedAt;
}

/** Report aggregates: `local_day` is an Asia/Shanghai calendar day, 'YYYY-MM-DD'. */
export interface AggCheckItemsTable {
  local_day: string;
  receiving_hospital_id: string;
  item_code: string;
  check_items: number;
  with_recognizable: number;
  recognized: number;
}

export interface AggIssuerCandidatesTable {
  local_day: string;
  issuing_hospital_id: string;
  receiving_hospital_id: string;
  item_code: string;
  check_items: number;
  with_recognizable: number;
}

export interface AggDecisionsTable {
  local_day: string;
  receiving_hospital_id: string;
  issuing_hospital_id: string;
  item_code: string;
  same_hospital: boolean;
  recognitions: number;
  declines: number;
  flagged_declines: number;
  yuan: number;
  minutes: number;
  radiation_msv: number;
}

export interface AggDeclinesTable {
  local_day: string;
  receiving_hospital_id: string;
  practitioner_id: string;
  reason_code: string;
  declines: number;
  flagged: number;
}

export interface AggRecognizedPatientsTable {
  local_day: string;
  receiving_hospital_id: string;
  issuing_hospital_id: string;
  item_code: string;
  same_hospital: boolean;
  /** int8, passed as a decimal string. */
  patient_hash: ColumnType<number, string, string>;
}

/** Declines per Asia/Shanghai month (`month`: its first day), receiver and reason. */
export interface AggDeclineMonthsTable {
  month: string;
  receiving_hospital_id: string;
  reason_code: string;
  declines: number;
  flagged: number;
}

/** Declines per Asia/Shanghai month (`month`: its first day), receiver and practitioner. */
export interface AggPractitionerMonthsTable {
  month: string;
  receiving_hospital_id: string;
  practitioner_id: string;
  declines: number;
  flagged: number;
}

/** Declines per Asia/Shanghai year (`year`: its first day), receiver and practitioner. */
export interface AggPractitionerYearsTable {
  year: string;
  receiving_hospital_id: string;
  practitioner_id: string;
  declines: number;
  flagged: number;
}

/** Checks and decisions recorded but not yet counted in the report aggregates: one id per row. */
export interface AggPendingTable {
  id: Generated<number>;
  check_id: string | null;
  decision_id: string | null;
}

/** Mutual recognitions per issuer → receiver pair and Asia/Shanghai month (`month`: its first day). */
export interface AggFlowMonthsTable {
  month: string;
  /** hospitals.num of the issuer and of the receiver. */
  issuer_num: number;
  receiver_num: number;
  recognitions: number;
  yuan: number;
}

/** Mutual recognitions per issuer → receiver pair and Asia/Shanghai year (`year`: its first day). */
export interface AggFlowYearsTable {
  year: string;
  issuer_num: number;
  receiver_num: number;
  recognitions: number;
  yuan: number;
}

/**
 * agg_flow_months and agg_flow_years again, one row per issuer and month (year): its receivers
 * ascending and, in the same order, their recognitions and yuan in fen, each a comma-separated list.
 */
interface FlowIssuerRow {
  issuer_num: number;
  receiver_nums: string;
  recognitions: string;
  fen: string;
}
export interface AggFlowMonthIssuersTable extends FlowIssuerRow {
  month: string;
}
export interface AggFlowYearIssuersTable extends FlowIssuerRow {
  year: string;
}

/** Which (day, dimension, value, patient) a roll-up's patient-days already count. */
export interface AggPatientDaysTable {
  dimension: string;
  local_day: string;
  dim_value: string;
  patient_hash: ColumnType<number, string, string>;
}

export interface DB {
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
  client_assertions: ClientAssertionsTable;
  hospitals: HospitalsTable;
  scopes: ScopesTable;
  items: ItemsTable;
  code_maps: CodeMapsTable;
  certification_events: CertificationEventsTable;
  results: ResultsTable;
  result_versions: ResultVersionsTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  rule_sets: RuleSetsTable;
  recognition_checks: RecognitionChecksTable;
  check_items: CheckItemsTable;
  check_candidates: CheckCandidatesTable;
  recognition_decisions: RecognitionDecisionsTable;
  agg_check_items: AggCheckItemsTable;
  agg_issuer_candidates: AggIssuerCandidatesTable;
  agg_decisions: AggDecisionsTable;
  agg_declines: AggDeclinesTable;
  agg_recognized_patients: AggRecognizedPatientsTable;
  agg_patient_days: AggPatientDaysTable;
  agg_flow_months: AggFlowMonthsTable;
  agg_flow_years: AggFlowYearsTable;
  agg_flow_month_issuers: AggFlowMonthIssuersTable;
  agg_flow_year_issuers: AggFlowYearIssuersTable;
  agg_pending: AggPendingTable;
  agg_decline_months: AggDeclineMonthsTable;
  agg_practitioner_months: AggPractitionerMonthsTable;
  agg_practitioner_years: AggPractitionerYearsTable;
}

/** The shapes of JSON columns the generated schema (schema.ts) refers to. */

/** One analyte of a laboratory result, as its issuing hospital reported it. */
export interface AnalyteValue {
  code: string;
  value: string | number;
  unit?: string;
  referenceRange?: string;
  flag?: string;
}

/** A recognition a recall names: the decision, its check, who decided and for which patient key. */
export interface RecallRecognition {
  decisionId: string;
  checkId: string;
  itemCode: string;
  practitionerId: string;
  clientId: string;
  patientKey: string;
  /** ISO 8601. */
  decidedAt: string;
}

/** The shapes of JSON columns the generated schema (schema.ts) refers to. */

/** One analyte of a laboratory result, as its issuing hospital reported it. */
export interface AnalyteValue {
  code: string;
  value: string | number;
  unit?: string;
  referenceRange?: string;
  flag?: string;
}

// The vocabularies of the rules engine. Every list is `as const` so routes can build `z.enum(list)`
// from it and the OpenAPI document can describe each code from the meaning maps below.

export interface Meaning {
  en: string;
  zh: string;
}

export const categories = ['lab', 'xray', 'ct', 'mri', 'ultrasound', 'ecg', 'nuclear', 'pathology'] as const;
export type Category = (typeof categories)[number];

// Imaging is exactly these (their images must be retrievable, gate 2); ECG and pathology are not imaging.
export const imagingCategories = ['xray', 'ct', 'mri', 'ultrasound', 'nuclear'] as const satisfies readonly Category[];
export type ImagingCategory = (typeof imagingCategories)[number];

export function isImagingCategory(category: Category): category is ImagingCategory {
  return (imagingCategories as readonly Category[]).includes(category);
}

// Categories whose typical effective dose counts as radiation avoided (MRI and ultrasound carry none).
export const ionisingCategories = ['xray', 'ct', 'nuclear'] as const satisfies readonly Category[];

export const tiers = ['tertiary', 'secondary', 'primary'] as const;
export type Tier = (typeof tiers)[number];

/** Higher number = higher tier (tertiary > secondary > primary). */
export const tierRank: Record<Tier, number> = { tertiary: 3, secondary: 2, primary: 1 };

// FHIR DiagnosticReport.status.
export const reportStatuses = [
  'registered',
  'partial',
  'preliminary',
  'final',
  'amended',
  'corrected',
  'appended',
  'cancelled',
  'entered-in-error',
] as const;
export type ReportStatus = (typeof reportStatuses)[number];

export const finalReportStatuses = ['final', 'amended', 'corrected', 'appended'] as const satisfies readonly ReportStatus[];
export const withdrawnReportStatuses = ['cancelled', 'entered-in-error'] as const satisfies readonly ReportStatus[];

export const certificationStatuses = ['active', 'suspended', 'revoked'] as const;
export type CertificationStatus = (typeof certificationStatuses)[number];

/** A stored status as the union it is; anything else is a broken row, not a status. */
export function certificationStatus(value: string): CertificationStatus {
  if ((certificationStatuses as readonly string[]).includes(value)) return value as CertificationStatus;
  throw new Error(`not a certification status: ${value}`);
}

// Narrowest first.
export const scopeLevels = ['consortium', 'city', 'province', 'alliance', 'national'] as const;
export type ScopeLevel = (typeof scopeLevels)[number];

export const tierPolicies = ['symmetric', 'downward-only-outside-city'] as const;
export type TierPolicy = (typeof tierPolicies)[number];

// Gate 1 (purpose) is checked once per request by the recognition service, so it is not listed here.
export const gateNames = [
  'resultKind',
  'reportStatus',
  'itemMatch',
  'catalogue',
  'certification',
  'tierDirection',
  'validity',
  'advisories',
] as const;
export type GateName = (typeof gateNames)[number];

export const reasonCodes = [
  'NR_NOT_A_RESULT',
  'NR_IMAGES_UNAVAILABLE',
  'NR_REPORT_NOT_FINAL',
  'NR_REPORT_WITHDRAWN',
  'NR_ITEM_MISMATCH',
  'NR_NOT_IN_CATALOG',
  'NR_NEGATIVE_LIST',
  'NR_CONSULT_REQUIRED',
  'NR_ISSUER_NOT_CERTIFIED',
  'NR_ISSUER_SUSPENDED',
  'NR_ISSUER_REVOKED',
  'NR_SCOPE_MISMATCH',
  'NR_TIER_DIRECTION',
  'NR_EXPIRED',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

/** The reasons the certification gate gives: those a change to a certification timeline can cause. */
export const certificationReasonCodes = [
  'NR_ISSUER_NOT_CERTIFIED',
  'NR_ISSUER_SUSPENDED',
  'NR_ISSUER_REVOKED',
  'NR_SCOPE_MISMATCH',
] as const satisfies readonly ReasonCode[];

export const reasonMeanings: Record<ReasonCode, Meaning> = {
  NR_NOT_A_RESULT: { en: 'A diagnostic conclusion alone is not an exam result.', zh: '仅有诊断结论，不属于检查检验结果。' },
  NR_IMAGES_UNAVAILABLE: { en: 'The images of the imaging study cannot be retrieved.', zh: '影像资料无法调阅。' },
  NR_REPORT_NOT_FINAL: {
    en: 'The report is not final (registered, partial or preliminary).',
    zh: '报告尚未最终审核（登记、部分或初步报告）。',
  },
  NR_REPORT_WITHDRAWN: { en: 'The report was cancelled or entered in error.', zh: '报告已撤销或系录入错误。' },
  NR_ITEM_MISMATCH: {
    en: 'The result is not the requested item and does not cover its analytes.',
    zh: '结果与申请项目不一致，且未涵盖所需检验指标。',
  },
  NR_NOT_IN_CATALOG: { en: "The item is not on any recognition scope's item list.", zh: '该项目不在任何互认范围的项目目录中。' },
  NR_NEGATIVE_LIST: { en: 'The item is on the negative list and is never recognised.', zh: '该项目列入负面清单，不予互认。' },
  NR_CONSULT_REQUIRED: { en: 'Pathology is not recognised directly; it needs a consultation.', zh: '病理结果须经会诊，不直接互认。' },
  NR_ISSUER_NOT_CERTIFIED: {
    en: 'The issuing hospital was not certified for the item when the exam was performed.',
    zh: '检查时出具机构未获得该项目的互认资质。',
  },
  NR_ISSUER_SUSPENDED: {
    en: "The issuing hospital's certification was suspended when the exam was performed.",
    zh: '检查时出具机构的该项目互认资质处于暂停状态。',
  },
  NR_ISSUER_REVOKED: {
    en: "The issuing hospital's certification is revoked for the time the exam was performed.",
    zh: '出具机构在检查时的该项目互认资质已被撤销。',
  },
  NR_SCOPE_MISMATCH: {
    en: 'The receiving hospital is outside every scope in which the issuer was certified.',
    zh: '接收机构不在出具机构获认证的任何互认范围内。',
  },
  NR_TIER_DIRECTION: {
    en: 'A higher-tier hospital may reuse a lower-tier result only within the same city.',
    zh: '高级别医院仅可在同一城市内互认低级别医院的结果。',
  },
  NR_EXPIRED: { en: "The result is older than the item's validity window.", zh: '结果已超过该项目的有效期。' },
};

export const declineCodes = [
  'D1_CONDITION_CHANGED',
  'D2_RAPID_CHANGE',
  'D3_MAJOR_INTERVENTION',
  'D4_EMERGENCY',
  'D5_FORENSIC',
  'D6_OTHER',
  'D7_PATIENT_REQUEST',
  'D8_NO_REFERENCE_VALUE',
  'D9_EQUIPMENT_QUALITY',
  'D10_CRITICAL_FOLLOWUP',
] as const;
export type DeclineCode = (typeof declineCodes)[number];

export const declineMeanings: Record<DeclineCode, Meaning> = {
  D1_CONDITION_CHANGED: { en: "The patient's condition has changed.", zh: '患者病情发生变化。' },
  D2_RAPID_CHANGE: {
    en: 'The clinical picture changes quickly, so the prior result may be outdated.',
    zh: '病情进展快，既往结果可能已不能反映当前状况。',
  },
  D3_MAJOR_INTERVENTION: { en: 'Fresh results are needed before surgery or transfusion.', zh: '手术或输血等重大诊疗前需要最新结果。' },
  D4_EMERGENCY: { en: 'Emergency or critical care.', zh: '急诊、急救或危重症救治。' },
  D5_FORENSIC: { en: 'A forensic or disability assessment needs a new exam.', zh: '司法鉴定或伤残评定需要重新检查。' },
  D6_OTHER: { en: 'Another reason, described in free text (at most 200 characters).', zh: '其他原因（须填写说明，不超过200字）。' },
  D7_PATIENT_REQUEST: { en: 'The patient asks for a new exam.', zh: '患者主动要求重新检查。' },
  D8_NO_REFERENCE_VALUE: {
    en: 'The prior result is of no reference value for this clinical question.',
    zh: '既往结果对本次诊疗无参考价值。',
  },
  D9_EQUIPMENT_QUALITY: {
    en: "Thin-slice imaging or better equipment than the prior exam's is needed.",
    zh: '需要薄层扫描或优于原检查的设备。',
  },
  D10_CRITICAL_FOLLOWUP: {
    en: 'The result has an open critical value that needs follow-up.',
    zh: '结果存在未闭环的危急值，需要复查跟踪。',
  },
};

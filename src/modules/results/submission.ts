// Turning a validated submission into the row we store: the domain checks zod cannot make (resident
// ID check digit, the clock, the catalogue), the patient key and the content hash. Pure functions.
import { createHash } from 'node:crypto';
import { problemTypeBase, type FieldError } from '../../errors.ts';
import { validationDetail } from '../../http/validation.ts';
import type { AnalyteValue } from '../../db/json-columns.ts';
import { imagingCategories } from '../rules/index.ts';
import { derivePatientKey } from '../patients/index.ts';
import type { ResultKind, ResultSubmission } from './schemas.ts';

/** A catalogue item as a submission resolves it (by itemCode or by the hospital's localCode). */
export interface ItemRef {
  code: string;
  category: string;
}

export interface ItemLookup {
  byCode: ReadonlyMap<string, ItemRef>;
  byLocalCode: ReadonlyMap<string, ItemRef>;
}

/** What the results table holds for one submission; also the content of its result_versions row. */
export interface ResultContent {
  patientKey: string;
  itemCode: string;
  localCode: string | null;
  performedAt: string;
  reportedAt: string | null;
  status: string;
  kind: ResultKind;
  imagesAvailable: boolean | null;
  studyUid: string | null;
  criticalOpen: boolean;
  equipment: Record<string, unknown> | null;
  analytes: AnalyteValue[] | null;
  findings: string | null;
}

export interface PreparedResult {
  accessionNo: string;
  content: ResultContent;
  contentHash: string;
}

/** Resolves, checks and normalises one submission; answers the field errors when it is not acceptable. */
export function prepareSubmission(
  accessionNo: string,
  submission: ResultSubmission,
  context: { items: ItemLookup; now: Date; patientKeySecret: string },
): PreparedResult | FieldError[] {
  const errors: FieldError[] = [];
  const key = derivePatientKey(submission.patient, context.patientKeySecret, context.now);
  if (typeof key !== 'string') errors.push(key);
  if (submission.performedAt.getTime() > context.now.getTime()) {
    errors.push({ field: 'performedAt', message: 'must not be in the future' });
  }
  const item =
    submission.itemCode !== undefined
      ? context.items.byCode.get(submission.itemCode)
      : context.items.byLocalCode.get(submission.localCode ?? '');
  if (!item) {
    errors.push(
      submission.itemCode !== undefined
        ? { field: 'itemCode', message: `unknown item code ${submission.itemCode}` }
        : { field: 'localCode', message: `local code ${submission.localCode} is not mapped to a catalogue item for this hospital` },
    );
  }
  if (errors.length > 0 || typeof key !== 'string' || !item) return errors;

  const content: ResultContent = {
    patientKey: key,
    itemCode: item.code,
    localCode: submission.localCode ?? null,
    performedAt: submission.performedAt.toISOString(),
    reportedAt: submission.reportedAt?.toISOString() ?? null,
    status: submission.status,
    kind: submission.kind ?? defaultKind(item.category),
    imagesAvailable: submission.imagesAvailable ?? null,
    studyUid: submission.studyUid ?? null,
    criticalOpen: submission.criticalOpen ?? false,
    equipment: submission.equipment ?? null,
    analytes: submission.analytes ?? null,
    findings: submission.findings ?? null,
  };
  return { accessionNo, content, contentHash: contentHash(content) };
}

export function defaultKind(category: string): ResultKind {
  return (imagingCategories as readonly string[]).includes(category) ? 'images' : 'data';
}

/**
 * SHA-256 of the canonical JSON of the normalised content (keys sorted, analytes ordered by code):
 * the same result sent twice, whatever the key order or the spelling of its instants, hashes alike.
 */
export function contentHash(content: ResultContent): string {
  const analytes = content.analytes ? [...content.analytes].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)) : null;
  return createHash('sha256')
    .update(canonicalJson({ ...content, analytes }))
    .digest('hex');
}

/** A result's content fields as the API names them (the patient travels as `patient`, stored as its key). */
export const contentFields = [
  'patient',
  'itemCode',
  'localCode',
  'performedAt',
  'reportedAt',
  'status',
  'kind',
  'imagesAvailable',
  'studyUid',
  'criticalOpen',
  'equipment',
  'analytes',
  'findings',
] as const;
export type ContentField = (typeof contentFields)[number];

/** The content fields that differ between two versions of a result (analytes compared in code order). */
export function changedFields(previous: ResultContent, next: ResultContent): ContentField[] {
  const valueOf = (c: ResultContent, field: ContentField) => {
    if (field === 'patient') return c.patientKey;
    if (field === 'analytes') return c.analytes && [...c.analytes].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    return c[field] ?? null;
  };
  return contentFields.filter((field) => canonicalJson(valueOf(previous, field)) !== canonicalJson(valueOf(next, field)));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The problem object of a rejected batch item (the shape of a 400 problem, without instance). */
export function itemProblem(errors: FieldError[]) {
  return { type: `${problemTypeBase}validation`, title: 'Invalid request', status: 400 as const, detail: validationDetail(errors), errors };
}

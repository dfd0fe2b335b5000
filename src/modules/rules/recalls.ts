// When a change to a recognised result obliges the exchange to tell the hospitals that reused it
// (docs/domain.md, Recalls). Pure: the results module says which fields changed, this says what that means.
import { certificationReasonCodes, finalReportStatuses, withdrawnReportStatuses, type ReasonCode, type ReportStatus } from './codes.ts';

/** Why a recall was made. */
export const recallCauses = ['amended', 'withdrawn', 'certification'] as const;
export type RecallCause = (typeof recallCauses)[number];

/**
 * The fields of a result's content that are bookkeeping: a new version changing only these changes
 * nothing a doctor relied on. Everything else (patient, item, times, status, findings, values, images,
 * equipment, open critical values) is clinical content.
 */
export const bookkeepingFields: readonly string[] = ['localCode'];

export const isWithdrawn = (status: string) => (withdrawnReportStatuses as readonly string[]).includes(status);

/**
 * The cause of a recall for a new version of a recognised result, or null when it needs none: a
 * withdrawal (its status became cancelled or entered-in-error), else any change of clinical content
 * (a correction, an amendment, a status change, a restored withdrawn result).
 */
export function resultChangeCause(change: { changedFields: readonly string[]; previousStatus: ReportStatus; status: ReportStatus }) {
  if (isWithdrawn(change.status) && !isWithdrawn(change.previousStatus)) return 'withdrawn' as const;
  return change.changedFields.some((field) => !bookkeepingFields.includes(field)) ? ('amended' as const) : null;
}

/** What a result's new status alone says about reusing it (the report-status gate's reasons). */
export function statusReasons(status: ReportStatus): ReasonCode[] {
  if (isWithdrawn(status)) return ['NR_REPORT_WITHDRAWN'];
  return (finalReportStatuses as readonly string[]).includes(status) ? [] : ['NR_REPORT_NOT_FINAL'];
}

/**
 * Whether a judgement made again after a certification event makes a recognition a recall: the result
 * is no longer recognisable, and for a reason the certification timeline gives.
 */
export function certificationRecallReasons(reasons: readonly ReasonCode[]): ReasonCode[] {
  return reasons.filter((reason) => (certificationReasonCodes as readonly string[]).includes(reason));
}

import type { DeclineCode } from './codes.ts';

/**
 * The rules of a doctor's decision on a check's candidate (docs/domain.md, Decisions).
 * Pure: the recognition module applies them to the check it locked.
 */

/** The parts of a stored candidate these rules read. */
export interface JudgedCandidate {
  itemCode: string;
  outcome: string;
  advisories: readonly string[];
}

/** Why a candidate may not be recognised, or null: only a recognisable one, and one per requested item. */
export function recognitionRefusal(
  candidate: JudgedCandidate,
  itemsRecognised: ReadonlySet<string>,
): { code: 'not-recognizable' | 'already-recognized'; reason: string } | null {
  if (candidate.outcome !== 'RECOGNIZABLE')
    return { code: 'not-recognizable', reason: 'it is not recognisable; it may be viewed for reference only' };
  if (itemsRecognised.has(candidate.itemCode))
    return { code: 'already-recognized', reason: `a result was already recognised for ${candidate.itemCode} in this check` };
  return null;
}

/** A decline of a recognisable result that had no advisory behind it goes to review. */
export function declineFlagged(candidate: JudgedCandidate): boolean {
  return candidate.outcome === 'RECOGNIZABLE' && candidate.advisories.length === 0;
}

/** The field problems of a decision's reason: a decline needs a code, D6_OTHER its text, a recognition neither. */
export function reasonProblems(decision: {
  action: 'recognized' | 'declined';
  reasonCode?: DeclineCode;
  reasonText?: string;
}): { field: 'reasonCode' | 'reasonText'; message: string }[] {
  const problems: { field: 'reasonCode' | 'reasonText'; message: string }[] = [];
  if (decision.action === 'declined' && !decision.reasonCode) problems.push({ field: 'reasonCode', message: 'is required to decline' });
  if (decision.action === 'recognized' && (decision.reasonCode || decision.reasonText))
    problems.push({ field: 'reasonCode', message: 'is only for declines' });
  if (decision.reasonCode === 'D6_OTHER' && !decision.reasonText)
    problems.push({ field: 'reasonText', message: 'is required with D6_OTHER' });
  return problems;
}

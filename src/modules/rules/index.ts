/**
 * The rules engine: every domain rule, as pure functions of (rule set, facts, now). No database, no
 * HTTP, no clock reads, so each decision can be replayed and explained from its inputs.
 */
export { disclosurePurpose, purposeRefusal } from './access.ts';
export * from './codes.ts';
export { certificationGate, coverageOf, scopeContains, scopeContainsPair, scopeHoldsItem, standingsAt, statusAt } from './certification.ts';
export { declineFlagged, reasonProblems, recognitionRefusal, type JudgedCandidate } from './decisions.ts';
export { advisoriesFor, decide, imagesRetrievable, itemMatch, priceFor, referenceTime, savingsFor, validUntil } from './engine.ts';
export {
  bookkeepingFields,
  certificationRecallReasons,
  isWithdrawn,
  recallCauses,
  resultChangeCause,
  statusReasons,
  type RecallCause,
} from './recalls.ts';
export { explain, explainSubject, type ExplainSubject, type Locale } from './explain.ts';
export type * from './types.ts';

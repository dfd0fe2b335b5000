/**
 * The rules engine: every domain rule, as pure functions of (rule set, facts, now). No database, no
 * HTTP, no clock reads, so each decision can be replayed and explained from its inputs.
 */
export * from './codes.ts';
export { certificationGate, coverageOf, scopeContains, scopeContainsPair, scopeHoldsItem, standingsAt, statusAt } from './certification.ts';
export { advisoriesFor, decide, imagesRetrievable, priceFor, referenceTime, savingsFor, validUntil } from './engine.ts';
export { explain, explainSubject, type ExplainSubject, type Locale } from './explain.ts';
export type * from './types.ts';

/**
 * The result index: submissions (single and batch) with every version kept, read-back, the audited
 * patient search and read by id, every result's history, and the candidate read of recognition checks. Owns
 * results and result_versions.
 */
export { candidateResultsOf, candidateResultsQuery, patientCandidatesQuery, resultFactsOf, type CandidateLookup } from './candidates.ts';
export type { RecognisedBy, ResultChange, ResultChangeListener } from './history.ts';
export { insertNewResults } from './accessions.ts';
export { disclosureHours } from './read.ts';
export { resultRoutes } from './routes.ts';
export { resultSubmission } from './schemas.ts';
export { createResultService, type ResultService } from './service.ts';
export { contentHash, type ResultContent } from './submission.ts';
export { resultRow } from './write.ts';

/**
 * Recognition: checks (which prior results a receiving hospital may reuse, judged by the rules
 * engine) and the doctors' decisions on them, judged again when they are made, with their savings;
 * and the recognitions a recall reaches. Owns recognition_checks, check_items, check_candidates and
 * recognition_decisions.
 */
export { createCheckService, type CheckService } from './check-service.ts';
export { createCheckStore } from './check-store.ts';
export { createDecisionService, type DecisionService } from './decision-service.ts';
export { judgeAgain, recognisedBy, recognitionsOfIssuer, recognitionsOfResults, type Recognition } from './recognitions.ts';
export { storedChecksOfPeriod, type StoredCheck } from './replay.ts';
export { recognitionRoutes } from './routes.ts';
export { checkRequest, decisionView, decisionsRequest } from './schemas.ts';

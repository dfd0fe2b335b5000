/**
 * Recalls: when a result a hospital recognised is amended, withdrawn, or falls under a retroactive
 * suspension or revocation, the recognising hospital is told (in the same transaction as the cause),
 * reads its recalls and acknowledges them; webhooks carry them out. Owns recalls.
 */
export { createRecallReportService, type RecallReportService } from './report.ts';
export { recallReportRoutes } from './report-routes.ts';
export { recallRoutes } from './routes.ts';
export { recallEvent } from './schemas.ts';
export { createRecallService, type RecallService } from './service.ts';

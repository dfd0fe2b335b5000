/**
 * Reports: savings, declines, flows and certification health, read from aggregates that follow the
 * recognition log through a queue, and the policy what-if. Owns agg_pending and every agg_* table.
 */
export { catchUp, queueLag, rebuildAggregates, startAggregator, vacuumAggregates, vacuumQueue } from './aggregator.ts';
export { enqueueCheckValues, enqueueChecksFrom, enqueueDecisions } from './queue.ts';
export { recountRollupValues } from './regroup.ts';
export { reportRoutes } from './routes.ts';
export { createReportService, reportPeriod, type ReportService } from './service.ts';
export { createWhatIfService, type WhatIfService } from './what-if.ts';

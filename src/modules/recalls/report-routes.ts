import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import type { RecallReportService } from './report.ts';
import { recallReport, recallReportQuery } from './report-schemas.ts';

export const recallReportRoutes: FastifyPluginAsyncZod<{ recallReports: RecallReportService }> = async (app, { recallReports }) => {
  app.get('/v1/reports/recalls', {
    config: { scopes: ['admin', 'reports:read'] },
    schema: {
      operationId: 'getRecallReport',
      tags: ['reports'],
      summary:
        'Recalls of recognised results: how many, by cause, issuer and hospital, how fast they were acknowledged, and the stale ones',
      description:
        'Counts the recalls made in the period (Asia/Shanghai days, `to` inclusive) from the recalls themselves, so the figures are current. ' +
        'Times to acknowledge are medians and 90th percentiles over the acknowledged recalls. ' +
        '`totals.openOlderThanStaleDays` and `stale` cover every open recall older than `staleDays`, whenever it was made. ' +
        'Administrators see the whole province; a hospital client sees the recalls made to it and those of results it issued, ' +
        'which `hospitalId` and `issuerId` narrow further.',
      querystring: recallReportQuery,
      response: { 200: recallReport, ...problemResponses },
    },
    handler: async (request) => recallReports.report(request.actor, request.query),
  });
};

import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemResponses } from '../../http/schemas.ts';
import { preferredLocale } from '../../http/locale.ts';
import { toCsv, wantsCsv } from './csv.ts';
import * as s from './schemas.ts';
import type { ReportService } from './service.ts';
import type { WhatIfService } from './what-if.ts';
import { whatIfReport, whatIfRequest } from './what-if-schemas.ts';

const readers = { scopes: ['admin', 'reports:read'], csv: true } as const;
const tags = ['reports'];
const csvNote = ' Answers `text/csv` (RFC 4180, UTF-8, header row) when the Accept header prefers it.';

/** JSON, or the same rows as CSV when the caller asks for it. */
function answer<T>(request: FastifyRequest, reply: FastifyReply, report: T, table: () => { columns: string[]; rows: unknown[][] }) {
  if (!wantsCsv(request.headers.accept)) return reply.send(report);
  const { columns, rows } = table();
  return reply
    .type('text/csv; charset=utf-8; header=present')
    .serializer((payload) => payload as string)
    .send(toCsv(columns, rows));
}

const savingsColumns = [
  'key',
  'label',
  'checks',
  'checksWithRecognizable',
  'recognitions',
  'declines',
  'flaggedDeclines',
  'recognitionRate',
  'yuan',
  'minutes',
  'radiationMsv',
  'patients',
  'minutesPerPatient',
  'sameHospitalRecognitions',
  'sameHospitalYuan',
  'sameHospitalMinutes',
  'sameHospitalRadiationMsv',
];

export const reportRoutes: FastifyPluginAsyncZod<{ reports: ReportService; whatIf: WhatIfService }> = async (app, { reports, whatIf }) => {
  app.get('/v1/reports/savings', {
    config: readers,
    schema: {
      operationId: 'getSavingsReport',
      tags,
      summary: 'Money, time and radiation saved; recognition rates',
      description:
        'Read from incrementally maintained aggregates. Days are Asia/Shanghai calendar days, `to` inclusive. Hospital clients see their own figures only. Item labels follow Accept-Language (zh or en).' +
        csvNote,
      querystring: s.savingsQuery,
      response: { 200: s.savingsReport, ...problemResponses },
    },
    handler: async (request, reply) => {
      const report = await reports.savings(request.actor, request.query, preferredLocale(request.headers['accept-language']));
      return answer(request, reply, report, () => ({
        columns: savingsColumns,
        rows: report.rows.map((r) => [
          r.key,
          r.label,
          r.checks,
          r.checksWithRecognizable,
          r.recognitions,
          r.declines,
          r.flaggedDeclines,
          r.recognitionRate,
          r.yuan,
          r.minutes,
          r.radiationMsv,
          r.patients,
          r.minutesPerPatient,
          r.sameHospital.recognitions,
          r.sameHospital.yuan,
          r.sameHospital.minutes,
          r.sameHospital.radiationMsv,
        ]),
      }));
    },
  });

  app.get('/v1/reports/declines', {
    config: readers,
    schema: {
      operationId: 'getDeclinesReport',
      tags,
      summary: 'Declines by decline code, hospital or practitioner, with those flagged for review',
      description:
        'The groups with the most declines first, at most `limit` of them. Code labels follow Accept-Language (zh or en).' + csvNote,
      querystring: s.declinesQuery,
      response: { 200: s.declinesReport, ...problemResponses },
    },
    handler: async (request, reply) => {
      const report = await reports.declines(request.actor, request.query, preferredLocale(request.headers['accept-language']));
      return answer(request, reply, report, () => ({
        columns: ['key', 'label', 'declines', 'flagged'],
        rows: report.rows.map((r) => [r.key, r.label, r.declines, r.flagged]),
      }));
    },
  });

  app.get('/v1/reports/flows', {
    config: readers,
    schema: {
      operationId: 'getFlowsReport',
      tags,
      summary: 'Issuer → receiver flows of mutual recognitions, with yuan saved',
      description: 'The largest flows of the period first, at most `limit` of them.' + csvNote,
      querystring: s.flowsQuery,
      response: { 200: s.flowsReport, ...problemResponses },
    },
    handler: async (request, reply) => {
      const report = await reports.flows(request.actor, request.query);
      return answer(request, reply, report, () => ({
        columns: ['issuerId', 'issuerName', 'receiverId', 'receiverName', 'recognitions', 'yuan'],
        rows: report.rows.map((r) => [r.issuerId, r.issuerName, r.receiverId, r.receiverName, r.recognitions, r.yuan]),
      }));
    },
  });

  app.get('/v1/reports/certifications', {
    config: readers,
    schema: {
      operationId: 'getCertificationsReport',
      tags,
      summary: 'Certification health now: active, suspended and revoked per hospital and category',
      description: 'Counts (scope, coverage) timelines by their status now.' + csvNote,
      querystring: s.certificationsQuery,
      response: { 200: s.certificationsReport, ...problemResponses },
    },
    handler: async (request, reply) => {
      const report = await reports.certifications(request.actor, request.query);
      return answer(request, reply, report, () => ({
        columns: ['hospitalId', 'hospitalName', 'category', 'active', 'suspended', 'revoked'],
        rows: report.rows.map((r) => [r.hospitalId, r.hospitalName, r.category, r.active, r.suspended, r.revoked]),
      }));
    },
  });

  app.post('/v1/reports/what-if', {
    config: { scopes: ['admin'] },
    schema: {
      operationId: 'runWhatIf',
      tags,
      summary: 'Replay a period’s stored checks under a draft of the rule settings',
      description:
        'Re-judges every candidate of the period’s stored checks with the same pure engine, under the current settings and under the draft, ' +
        'and answers how many more (or fewer) candidates and check items would have been recognisable, with the potential yuan, minutes and mSv, overall and per item. ' +
        'Certifications and scopes are taken as they stand now; candidates are those found at check time. Writes nothing.',
      body: whatIfRequest,
      response: { 200: whatIfReport, ...problemResponses },
    },
    handler: async (request) => whatIf.run(request.body),
  });
};

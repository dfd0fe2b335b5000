import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { problemResponses } from '../../http/schemas.ts';
import { preferredLocale } from '../../http/locale.ts';
import { actingHospital } from '../auth/index.ts';
import type { CheckService } from './check-service.ts';
import type { DecisionService } from './decision-service.ts';
import * as s from './schemas.ts';

const recognition = { scopes: ['recognition'] } as const;
const tags = ['recognition'];

export const recognitionRoutes: FastifyPluginAsyncZod<{ checks: CheckService; decisions: DecisionService }> = async (
  app,
  { checks, decisions },
) => {
  app.post('/v1/recognition-checks', {
    config: { ...recognition, audit: 'recognition.check', idempotent: true },
    schema: {
      operationId: 'createRecognitionCheck',
      tags,
      summary: 'Which prior results may this hospital reuse?',
      description:
        'The receiver is the token’s hospital. For each requested item: the patient’s results for it within the look-back (and lab panels covering its analytes), ' +
        'recognisable first, newest first, each with its outcome, reasons (gate order, the first decides), advisories and an explanation (Accept-Language: zh or en). ' +
        'Non-recognisable candidates are listed for reference only. The check is stored (the denominator of the recognition rate) and audited as a read of patient data. ' +
        'Any purpose other than treatment is refused (403) before any result is read.',
      body: s.checkRequest,
      response: { 201: s.checkResponse, ...problemResponses },
    },
    handler: async (request, reply) => {
      actingHospital(request.actor);
      const check = await checks.check(
        request.actor,
        request.body,
        preferredLocale(request.headers['accept-language']),
        request.idempotency,
      );
      return reply.status(201).send(check);
    },
  });

  app.post('/v1/recognition-checks/:checkId/decisions', {
    config: { ...recognition, audit: 'recognition.decision', idempotent: true },
    schema: {
      operationId: 'recordDecisions',
      tags,
      summary: 'Record the doctor’s decisions on a check’s candidates',
      description:
        '`recognized`: the exam is not repeated and its savings are logged. `declined`: needs a decline code (D6_OTHER also needs reasonText, at most 200 characters). ' +
        'Only the hospital that made the check may decide. Recognising a NOT_RECOGNIZABLE candidate, a second recognition for one item, or a different action on an already decided candidate is 409. ' +
        'Repeating a decision is idempotent: 201 when something new was recorded, 200 when all were repeats. The log is append-only.',
      params: s.checkParams,
      body: s.decisionsRequest,
      response: { 200: s.decisionsResponse, 201: s.decisionsResponse, ...problemResponses },
    },
    handler: async (request, reply) => {
      actingHospital(request.actor);
      const { created, decisions: recorded } = await decisions.decide(
        request.actor,
        request.params.checkId,
        request.body.decisions,
        request.body.practitionerId,
        request.idempotency,
      );
      return reply.status(created ? 201 : 200).send({ decisions: recorded });
    },
  });
};

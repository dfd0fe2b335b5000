// Errors on the FHIR API are OperationOutcomes (application/fhir+json): the service's one error handler
// decides the status and the problem type, this module writes it as FHIR.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { ProblemError, problemTypeBase, type FieldError } from '../../errors.ts';
import type { Problem } from '../../plugins/problem.ts';

export const fhirContentType = 'application/fhir+json; charset=utf-8';

type IssueType = OperationOutcomeIssue['code'];

/** The OperationOutcome issue type of each HTTP status the service answers with. */
const issueTypes: Record<number, IssueType> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  408: 'timeout',
  409: 'conflict',
  413: 'too-long',
  414: 'too-long',
  415: 'not-supported',
  422: 'business-rule',
  429: 'throttled',
  503: 'transient',
};

export function issue(
  severity: OperationOutcomeIssue['severity'],
  code: IssueType,
  text: string,
  expression?: string,
): OperationOutcomeIssue {
  return { severity, code, details: { text }, ...(expression ? { expression: [expression] } : {}) };
}

export const errorIssue = (text: string, expression?: string, code: IssueType = 'invalid') => issue('error', code, text, expression);

/** The problem of an answer this API writes itself (its 404 and 405). */
export function operationOutcomeFor(request: FastifyRequest, status: number, slug: string, detail: string): Problem {
  request.problemType = slug;
  const instance = request.url.split('?')[0];
  return { type: problemTypeBase + slug, title: slug, status, detail, instance, requestId: request.id };
}

export const outcome = (issues: OperationOutcomeIssue[]): OperationOutcome => ({ resourceType: 'OperationOutcome', issue: issues });

/**
 * A refusal that already says what was wrong, issue by issue (a transaction that failed as a whole);
 * the error handler writes its issues as they are.
 */
export class FhirIssues extends ProblemError {
  constructor(status: 400 | 403, detail: string, issues: OperationOutcomeIssue[]) {
    super(status, status === 403 ? 'forbidden' : 'validation', status === 403 ? 'Forbidden' : 'Invalid request', detail, { issue: issues });
  }
}

/**
 * A problem as an OperationOutcome with the same status: the issues a FHIR refusal carries, else one
 * issue per field error, else one for the whole problem. Each names the problem type (a stable URI, as
 * on the rest of the API) and the first carries the request id.
 */
export function writeOperationOutcome(_request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const code = issueTypes[problem.status] ?? (problem.status >= 500 ? 'exception' : 'processing');
  const slug = problem.type.startsWith(problemTypeBase) ? problem.type.slice(problemTypeBase.length) : problem.type;
  const details = (text: string) => ({ coding: [{ system: problemTypeBase.replace(/\/$/, ''), code: slug }], text });
  const carried = Array.isArray(problem.issue) ? (problem.issue as OperationOutcomeIssue[]) : null;
  const fields = Array.isArray(problem.errors) ? (problem.errors as FieldError[]) : [];
  const issues: OperationOutcomeIssue[] = carried
    ? [...carried]
    : fields.length > 0
      ? fields.map((e) => ({ severity: 'error', code, details: details(`${e.field} ${e.message}`), expression: [e.field] }))
      : [{ severity: problem.status >= 500 ? 'fatal' : 'error', code, details: details(problem.detail) }];
  issues[0] = { ...issues[0], diagnostics: `request ${problem.requestId}` };
  return reply.status(problem.status).type(fhirContentType).serializer(JSON.stringify).send(outcome(issues));
}

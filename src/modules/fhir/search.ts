// GET [base]/DiagnosticReport and GET [base]/ImagingStudy: a patient's prior results as a searchset
// Bundle, through the results service's audited search (purpose treatment, the practitioner named).
import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { Forbidden, ProblemError, type FieldError } from '../../errors.ts';
import { actingHospital, smartPermits, type Actor } from '../auth/index.ts';
import { identityFromFhirIdentifiers } from '../patients/index.ts';
import { itemCodeSystem, localCodeSystem, loincSystem, type RegistrySnapshot } from '../registry/index.ts';
import type { ResultService } from '../results/index.ts';
import { errorIssue, FhirIssues, issue, outcome } from './outcome.ts';
import { imagingItemCodes, toDiagnosticReport, toImagingStudy, type ResourceContext } from './resources.ts';
import type { SearchParameters } from './schemas.ts';

export type SearchedType = 'DiagnosticReport' | 'ImagingStudy';

export interface SearchDeps {
  results: ResultService;
  registry: () => Promise<RegistrySnapshot>;
  /** The FHIR base URL, for fullUrl and the links. */
  baseUrl: string;
}

const parametersOf: Record<SearchedType, readonly string[]> = {
  DiagnosticReport: ['patient.identifier', 'code', 'date', '_count', '_cursor'],
  ImagingStudy: ['patient.identifier', 'started', '_count', '_cursor'],
};
const ignoredAlways = new Set(['_format', '_pretty']);
export const defaultPageSize = 50;
const maxPageSize = 100;

const values = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const refuse = (text: string, expression: string) => new FhirIssues(400, text, [errorIssue(text, expression)]);

/** The first instant a `ge`/`gt` date parameter admits: dates are Asia/Shanghai days, as everywhere in the service. */
export function sinceOf(value: string, parameter: string): Date {
  const match = /^(ge|gt)(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  const timed = /^(ge|gt)(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))$/.exec(value);
  if (timed) {
    const at = new Date(timed[2]);
    // JavaScript reads 31 February as 3 March: the day must be one of its month's.
    const [y, m, d] = timed[2].slice(0, 10).split('-').map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    const precision = timed[4] ? 1 : timed[3] ? 1000 : 60_000;
    const since = timed[1] === 'gt' ? new Date(at.getTime() + precision) : at;
    // The years the service stores (1900-9999), in UTC: an offset can carry the last day of 9999 into 10000.
    const year = since.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d || year < 1900 || year > 9999)
      throw refuse(`${parameter}: ${value} is not a date-time between the years 1900 and 9999`, parameter);
    return since;
  }
  if (!match)
    throw refuse(
      `${parameter}: only ge and gt are supported, with a date (YYYY, YYYY-MM, YYYY-MM-DD) or a date-time with offset`,
      parameter,
    );
  const [, prefix, year, month, day] = match;
  const y = Number(year);
  const m = month === undefined ? 1 : Number(month);
  const d = day === undefined ? 1 : Number(day);
  const start = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || start.getUTCMonth() !== m - 1 || start.getUTCDate() !== d)
    throw refuse(`${parameter}: ${value} is not a date`, parameter);
  if (prefix === 'gt') {
    if (day !== undefined) start.setUTCDate(d + 1);
    else if (month !== undefined) start.setUTCMonth(m);
    else start.setUTCFullYear(y + 1);
  }
  return new Date(start.getTime() - 8 * 3_600_000);
}

/** The catalogue items a `code` token names: a catalogue code, LOINC code or the caller's own local code (any of them when no system is given). */
function itemCodesOf(token: string, registry: RegistrySnapshot, hospitalId: string): string[] {
  const bar = token.indexOf('|');
  const system = bar < 0 ? null : token.slice(0, bar);
  const code = bar < 0 ? token : token.slice(bar + 1);
  const found = new Set<string>();
  if ((system === null || system === itemCodeSystem) && registry.items.has(code)) found.add(code);
  if (system === null || system === loincSystem) {
    for (const item of registry.items.values()) if (item.loinc?.includes(code)) found.add(item.code);
  }
  // Only the caller's own local codes: another hospital's code map is its own to read (403 on the REST API),
  // so a code in its system names nothing here either, whether it maps it or not.
  const mapped =
    system === null || system === localCodeSystem(hospitalId) ? registry.codeMaps.get(`${hospitalId}\u0000${code}`) : undefined;
  if (mapped) found.add(mapped);
  return [...found];
}

export function createSearch({ results, registry, baseUrl }: SearchDeps) {
  return async function search(
    actor: Actor,
    type: SearchedType,
    parameters: SearchParameters,
    practitionerId: string,
    strict: boolean,
  ): Promise<Bundle> {
    if (!smartPermits(actor.scopes, type, 's'))
      throw new Forbidden(`The token's SMART scopes do not allow searching ${type} (system/${type}.s)`);
    const hospitalId = actingHospital(actor);
    const known = parametersOf[type];
    const unknown = Object.keys(parameters).filter((name) => !known.includes(name) && !ignoredAlways.has(name));
    if (strict && unknown.length > 0) throw refuse(`Unsupported search parameters: ${unknown.join(', ')}`, unknown[0]);
    const single = (name: string) => {
      const given = values(parameters[name]);
      if (given.length > 1) throw refuse(`${name} may be given once`, name);
      return given[0];
    };

    const patientToken = single('patient.identifier');
    if (!patientToken) throw refuse('patient.identifier is required: <system>|<value>', 'patient.identifier');
    const bar = patientToken.indexOf('|');
    const patientIdentifier = {
      system: bar < 0 ? undefined : patientToken.slice(0, bar),
      value: bar < 0 ? patientToken : patientToken.slice(bar + 1),
    };
    const patient = identityFromFhirIdentifiers([patientIdentifier]);
    if (!patient)
      throw refuse(
        'patient.identifier: give <system>|<value> with the resident ID, passport or other identity system',
        'patient.identifier',
      );

    const dateParameter = type === 'DiagnosticReport' ? 'date' : 'started';
    const sinces = values(parameters[dateParameter]).map((v) => sinceOf(v, dateParameter));
    const since = sinces.length > 0 ? new Date(Math.max(...sinces.map((d) => d.getTime()))) : undefined;
    const countText = single('_count');
    const count = countText === undefined ? defaultPageSize : Number(countText);
    if (!Number.isInteger(count) || count < 1) throw refuse('_count must be a whole number from 1', '_count');
    const cursor = single('_cursor');

    const snapshot = await registry();
    const codeTokens =
      type === 'DiagnosticReport'
        ? values(parameters.code)
            .flatMap((v) => v.split(','))
            .filter(Boolean)
        : [];
    let itemCodes = codeTokens.length > 0 ? [...new Set(codeTokens.flatMap((t) => itemCodesOf(t, snapshot, hospitalId)))] : undefined;
    if (type === 'ImagingStudy') itemCodes = imagingItemCodes(snapshot);

    const applied = new URLSearchParams({ 'patient.identifier': patientToken });
    for (const token of codeTokens.length > 0 ? [codeTokens.join(',')] : []) applied.append('code', token);
    for (const value of values(parameters[dateParameter])) applied.append(dateParameter, value);
    applied.set('_count', String(Math.min(count, maxPageSize)));
    const link = (page?: string) => `${baseUrl}/${type}?${applied.toString()}${page ? `&_cursor=${encodeURIComponent(page)}` : ''}`;
    const bundle = (entry: BundleEntry[], next: string | null): Bundle => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: link(cursor) }, ...(next ? [{ relation: 'next', url: link(next) }] : [])],
      entry,
    });
    let page;
    try {
      page = await results.search(actor, {
        patient,
        practitionerId,
        purpose: 'treatment',
        itemCodes,
        since,
        limit: Math.min(count, maxPageSize),
        cursor,
      });
    } catch (error) {
      throw searchRefusal(error);
    }
    const context: ResourceContext = { subject: { identifier: patientIdentifier }, registry: snapshot };
    const entries = page.results.map((result): BundleEntry => {
      const resource: Resource = type === 'ImagingStudy' ? toImagingStudy(result, context) : toDiagnosticReport(result, context);
      return { fullUrl: `${baseUrl}/${type}/${result.resultId}`, resource, search: { mode: 'match' } };
    });
    // Codes that name no catalogue item match nothing (the search still runs, and is audited); say why.
    if (itemCodes?.length === 0) {
      const text =
        type === 'ImagingStudy' ? 'The catalogue holds no imaging items' : `code ${codeTokens.join(',')} names no catalogue item`;
      const warning = outcome([issue('warning', 'not-found', text, type === 'ImagingStudy' ? undefined : 'code')]);
      entries.push({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: warning, search: { mode: 'outcome' } });
    }
    return bundle(entries, page.nextCursor);
  };
}

/** The results service's field errors, named by the search parameters they came from. */
function searchRefusal(error: unknown): unknown {
  const errors = error instanceof ProblemError && Array.isArray(error.extensions.errors) ? (error.extensions.errors as FieldError[]) : null;
  if (!errors || !(error instanceof ProblemError) || error.status !== 400) return error;
  const parameter = (field: string) => (field.startsWith('patient') ? 'patient.identifier' : field === 'cursor' ? '_cursor' : field);
  const issues: OperationOutcomeIssue[] = errors.map((e) => errorIssue(`${parameter(e.field)} ${e.message}`, parameter(e.field)));
  return new FhirIssues(400, error.message, issues);
}

// A transaction or batch Bundle read entry by entry: what each entry asks, whether its resource is
// valid FHIR of a type this API accepts, and how references between entries (and to contained
// resources) resolve. Every problem is an OperationOutcome issue located in the Bundle.
import type { OperationOutcomeIssue, Reference, Resource } from '@medplum/fhirtypes';
import { errorIssue } from './outcome.ts';
import { isValidatedType, validationIssues, type ValidatedResourceType } from './validation.ts';

/** One entry as the API reads it. */
export interface BundleEntry {
  index: number;
  /** `Bundle.entry[3].resource`, the prefix of every issue about the resource. */
  path: string;
  fullUrl?: string;
  resource?: Resource;
  method?: string;
  url?: string;
  ifNoneExist?: string;
  ifMatch?: string;
  ifModifiedSince?: string;
  ifNoneMatch?: string;
}

/** A resource and where it sits: a Bundle entry's resource or one contained in it. */
export interface Located<T extends Resource = Resource> {
  resource: T;
  path: string;
  /** The Bundle entry it is, or is contained in. */
  entry: BundleEntry;
}

/** What a DiagnosticReport may contain: the resources it is made of. */
const containable = new Set(['Observation', 'ImagingStudy', 'Patient']);

/**
 * Whether an entry can be processed: a create (POST) or an update (PUT) of a resource of an accepted
 * type, whose request URL names that type, without conditions (a report is matched by its identifier,
 * whatever the request says), and which Medplum's validator finds valid FHIR. Warnings are dropped.
 */
export function entryIssues(entry: BundleEntry): OperationOutcomeIssue[] {
  const at = `Bundle.entry[${entry.index}]`;
  const type = entry.resource?.resourceType;
  if (!entry.resource) return [errorIssue('Each entry needs a resource', `${at}.resource`, 'required')];
  if (entry.method !== 'POST' && entry.method !== 'PUT') {
    return [
      errorIssue(
        `${entry.method ?? 'A missing method'} is not supported in a Bundle here: use POST or PUT`,
        `${at}.request.method`,
        'not-supported',
      ),
    ];
  }
  if (!isValidatedType(type)) {
    const accepted = 'DiagnosticReport, Observation, ImagingStudy and Patient';
    return [errorIssue(`${String(type)} is not accepted: a Bundle here holds ${accepted} entries`, `${at}.resource`, 'not-supported')];
  }
  const urlProblem = requestUrlProblem(entry, type);
  if (urlProblem) return [urlProblem];
  const conditions = (['ifNoneExist', 'ifMatch', 'ifModifiedSince', 'ifNoneMatch'] as const).filter((c) => entry[c] !== undefined);
  if (conditions.length > 0) {
    const text = `${conditions.join(', ')} is not supported: reports are matched by their identifier (a resubmission is a new version or no change)`;
    return [errorIssue(text, `${at}.request.${conditions[0]}`, 'not-supported')];
  }
  const contained: unknown = (entry.resource as { contained?: unknown }).contained ?? [];
  if (!Array.isArray(contained)) return [errorIssue('contained must be a list of resources', `${entry.path}.contained`)];
  const foreign = (contained as (Resource | null)[]).findIndex(
    (r) => type !== 'DiagnosticReport' || !containable.has(r?.resourceType ?? ''),
  );
  if (foreign >= 0) {
    const text =
      type === 'DiagnosticReport'
        ? 'A DiagnosticReport may contain only Observation, ImagingStudy and Patient resources'
        : `A ${type} here contains no resources`;
    return [errorIssue(text, `${entry.path}.contained[${foreign}]`, 'not-supported')];
  }
  return validationIssues(entry.resource)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ ...i, expression: i.expression?.map((e) => e.replace(/^[A-Za-z]+/, entry.path)) }));
}

/**
 * The request URL FHIR gives each method: a create (POST) names the type alone; an update (PUT) the
 * type, the type and an id, or the type and a search by identifier (a conditional update). Reports
 * are matched by their own identifier whatever the URL says, so a condition must name that identifier:
 * another one, or any other search, would be ignored, and is refused instead.
 */
function requestUrlProblem(entry: BundleEntry, type: string): OperationOutcomeIssue | null {
  const where = `Bundle.entry[${entry.index}].request.url`;
  const url = entry.url ?? '';
  if (entry.method === 'POST') return url === type ? null : errorIssue(`request.url of a POST must be ${type}`, where);
  const [path, query] = url.split('?', 2) as [string, string | undefined];
  if (path !== type && !new RegExp(`^${type}/[A-Za-z0-9.-]{1,64}$`).test(path)) {
    return errorIssue(`request.url of a PUT must be ${type}, ${type}/[id] or ${type}?identifier=[system|value]`, where);
  }
  if (query === undefined) return null;
  const conditions = [...new URLSearchParams(query)];
  const named = conditions.length === 1 && conditions[0][0] === 'identifier' ? conditions[0][1] : null;
  const own = ((entry.resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? []).flatMap((i) =>
    i.value === undefined ? [] : [i.value, `${i.system ?? ''}|${i.value}`],
  );
  if (named !== null && own.includes(named)) return null;
  return errorIssue(
    named === null
      ? 'A conditional update here may search by identifier alone: a resource is matched by its own identifier'
      : `request.url names identifier ${named}, which is not the resource's own: it is matched by its own identifier`,
    where,
    'not-supported',
  );
}

/** fullUrl names one entry (bdl-7): a reference to a fullUrl two entries share would depend on their order. */
export function repeatedFullUrls(entries: readonly BundleEntry[]): OperationOutcomeIssue[] {
  const first = new Map<string, number>();
  const issues: OperationOutcomeIssue[] = [];
  for (const entry of entries) {
    if (entry.fullUrl === undefined) continue;
    const earlier = first.get(entry.fullUrl);
    if (earlier === undefined) first.set(entry.fullUrl, entry.index);
    else
      issues.push(
        errorIssue(
          `fullUrl ${entry.fullUrl} is already Bundle.entry[${earlier}]'s: each entry needs its own`,
          `Bundle.entry[${entry.index}].fullUrl`,
        ),
      );
  }
  return issues;
}

export type Resolved<T extends Resource> = Located<T> | { issue: OperationOutcomeIssue };

/**
 * Resolves references the way a Bundle does: `#id` to a resource contained in the entry, a URL or
 * `urn:uuid:` to the entry with that fullUrl, `Type/id` to the entry holding that resource.
 */
export function createResolver(entries: readonly BundleEntry[]) {
  const byFullUrl = new Map<string, BundleEntry>();
  const byTypeAndId = new Map<string, BundleEntry>();
  for (const entry of entries) {
    if (entry.fullUrl) byFullUrl.set(entry.fullUrl, entry);
    if (entry.resource?.id) byTypeAndId.set(`${entry.resource.resourceType}/${entry.resource.id}`, entry);
  }

  function find(reference: string, from: Located): Located | null {
    if (reference.startsWith('#')) {
      const contained: unknown = (from.entry.resource as { contained?: unknown }).contained;
      const at = Array.isArray(contained) ? (contained as (Resource | null)[]).findIndex((r) => r?.id === reference.slice(1)) : -1;
      return at < 0 ? null : { resource: (contained as Resource[])[at], path: `${from.entry.path}.contained[${at}]`, entry: from.entry };
    }
    const entry =
      byFullUrl.get(reference) ??
      byTypeAndId.get(reference) ??
      byTypeAndId.get(/([A-Za-z]+\/[A-Za-z0-9.-]{1,64})(\/_history\/[^/]+)?$/.exec(reference)?.[1] ?? '');
    return entry?.resource ? { resource: entry.resource, path: entry.path, entry } : null;
  }

  return {
    /** The resource a reference names, which must be of type `type`. */
    resolve<T extends Resource>(reference: Reference | undefined, from: Located, where: string, type: ValidatedResourceType): Resolved<T> {
      const target = reference?.reference;
      const found = target ? find(target, from) : null;
      if (!found) return { issue: errorIssue(`${target ?? 'The reference'} does not name a resource of this Bundle`, where) };
      if (found.resource.resourceType !== type) {
        return { issue: errorIssue(`${target} is a ${found.resource.resourceType}, not a ${type}`, where) };
      }
      return found as Located<T>;
    },
  };
}

export type Resolver = ReturnType<typeof createResolver>;

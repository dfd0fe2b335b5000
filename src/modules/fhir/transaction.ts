// POST [base] with a transaction or batch Bundle: every DiagnosticReport, with what it names, becomes
// a result through the results service's batch submission. A transaction is all or nothing (every
// entry checked first, nothing written unless all pass); a batch answers entry by entry.
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type { Bundle, BundleEntry as FhirBundleEntry, DiagnosticReport, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { actingHospital, smartPermits, type Actor, type SmartPermission } from '../auth/index.ts';
import type { RegistrySnapshot } from '../registry/index.ts';
import type { ResultService } from '../results/index.ts';
import { createResolver, entryIssues, repeatedFullUrls, type BundleEntry, type Located } from './bundle.ts';
import { errorIssue, FhirIssues, issue, outcome } from './outcome.ts';
import type { BundleRequest } from './schemas.ts';
import { isResource, reportToItem, type MappedReport } from './to-result.ts';

/** As many reports as the results service takes in one batch. */
export const maxReports = 1000;
const validationSlice = 50;

type BatchAnswer = Awaited<ReturnType<ResultService['submitBatch']>>['results'][number];
type Refusal = { status: '400 Bad Request' | '403 Forbidden'; issues: OperationOutcomeIssue[] };

export interface TransactionDeps {
  results: ResultService;
  /** The registry as it stands (a fresh snapshot): catalogue codes, LOINC codes and code maps. */
  registry: () => Promise<RegistrySnapshot>;
}

export function createTransactions({ results, registry }: TransactionDeps) {
  return async function transact(actor: Actor, bundle: BundleRequest): Promise<Bundle> {
    const hospitalId = actingHospital(actor);
    const entries: BundleEntry[] = (bundle.entry ?? []).map((e, index) => ({
      index,
      path: `Bundle.entry[${index}].resource`,
      fullUrl: e.fullUrl,
      resource: isResource(e.resource) ? e.resource : undefined,
      method: e.request?.method,
      url: e.request?.url,
      ifNoneExist: e.request?.ifNoneExist,
      ifMatch: e.request?.ifMatch,
      ifModifiedSince: e.request?.ifModifiedSince,
      ifNoneMatch: e.request?.ifNoneMatch,
    }));
    const repeated = repeatedFullUrls(entries);
    if (repeated.length > 0) throw new FhirIssues(400, 'Two entries of the Bundle share a fullUrl', repeated);
    const refused = new Map<number, Refusal>();
    for (const entry of entries) {
      // Validation takes about a millisecond a report: a large Bundle lets other requests in as it goes.
      if (entry.index % validationSlice === validationSlice - 1) await yieldToOthers();
      const problems = entryIssues(entry);
      const type = entry.resource?.resourceType ?? '';
      const permission: SmartPermission = entry.method === 'PUT' ? 'u' : 'c';
      if (problems.length > 0) refused.set(entry.index, { status: '400 Bad Request', issues: problems });
      else if (type !== 'Patient' && !smartPermits(actor.scopes, type, permission)) {
        const text = `The token's SMART scopes do not allow ${permission === 'u' ? 'updating' : 'creating'} ${type} (system/${type}.${permission})`;
        refused.set(entry.index, { status: '403 Forbidden', issues: [errorIssue(text, entry.path, 'forbidden')] });
      }
    }

    const reports = entries.filter((e) => e.resource?.resourceType === 'DiagnosticReport');
    if (reports.length > maxReports) {
      throw new FhirIssues(400, `At most ${maxReports} DiagnosticReports per Bundle`, [
        errorIssue(`At most ${maxReports} DiagnosticReports per Bundle`, 'Bundle.entry'),
      ]);
    }
    const context = { registry: await registry(), hospitalId, resolver: createResolver(entries) };
    const mapped = new Map<number, MappedReport>();
    const usedBy = new Map<number, number[]>();
    for (const entry of reports) {
      if (refused.has(entry.index)) continue;
      const report = reportToItem(
        { resource: entry.resource as DiagnosticReport, path: entry.path, entry } as Located<DiagnosticReport>,
        context,
      );
      for (const used of report.uses) usedBy.set(used, [...(usedBy.get(used) ?? []), entry.index]);
      const invalid = [...report.uses].filter((used) => refused.has(used));
      const issues = [...report.issues, ...invalid.map((used) => errorIssue(`Uses Bundle.entry[${used}], which was refused`, entry.path))];
      if (issues.length > 0) refused.set(entry.index, { status: '400 Bad Request', issues });
      else mapped.set(entry.index, report);
    }
    for (const entry of entries) {
      if (refused.has(entry.index) || entry.resource?.resourceType === 'DiagnosticReport') continue;
      if (!usedBy.has(entry.index)) {
        const text = `No DiagnosticReport of this Bundle uses this ${entry.resource?.resourceType}: it is accepted only as part of a report`;
        refused.set(entry.index, { status: '400 Bad Request', issues: [errorIssue(text, entry.path, 'not-supported')] });
      }
    }

    // A POST under an accession number already stored amends that result: an update, whatever the method.
    if (!smartPermits(actor.scopes, 'DiagnosticReport', 'u')) {
      const accessionOf = (report: MappedReport) => String(report.item.accessionNo);
      const stored = await results.storedAccessions(actor, [...mapped.values()].map(accessionOf));
      for (const [index, report] of mapped) {
        if (!stored.has(accessionOf(report))) continue;
        const text = `A result with accession number ${accessionOf(report)} is stored: changing it is an update, which the token's SMART scopes do not allow (system/DiagnosticReport.u)`;
        refused.set(index, { status: '403 Forbidden', issues: [errorIssue(text, report.path, 'forbidden')] });
        mapped.delete(index);
      }
    }
    const atomic = bundle.type === 'transaction';
    if (atomic && refused.size > 0) throw refusal(refused);
    const submitted = [...mapped.entries()];
    const answers =
      submitted.length === 0
        ? []
        : (
            await results.submitBatch(
              actor,
              submitted.map(([, m]) => m.item),
              undefined,
              { allOrNothing: atomic },
            )
          ).results;
    const outcomes = new Map<number, BatchAnswer>();
    submitted.forEach(([index, report], k) => {
      const answer = answers[k];
      if (answer.outcome !== 'rejected') outcomes.set(index, answer);
      // All or nothing: the items that passed are answered rejected too, without a problem of their own.
      else if (answer.problem) {
        const issues = answer.problem.errors.map((e) => errorIssue(`${e.field} ${e.message}`, sourceOf(report, e.field)));
        refused.set(index, { status: '400 Bad Request', issues });
      }
    });
    if (atomic && refused.size > 0) throw refusal(refused);

    return {
      resourceType: 'Bundle',
      type: atomic ? 'transaction-response' : 'batch-response',
      entry: entries.map((entry) => ({ response: responseOf(entry, refused, outcomes, usedBy) })),
    };
  };
}

function refusal(refused: Map<number, Refusal>): FhirIssues {
  const forbidden = [...refused.values()].some((r) => r.status === '403 Forbidden');
  const issues = [...refused.entries()].sort(([a], [b]) => a - b).flatMap(([, r]) => r.issues);
  const count = refused.size;
  return new FhirIssues(
    forbidden ? 403 : 400,
    `The transaction was not processed: ${count} entr${count === 1 ? 'y was' : 'ies were'} refused`,
    issues,
  );
}

/** Where an item field the results service refused came from in the Bundle. */
function sourceOf(report: MappedReport, field: string): string | undefined {
  const parts = field.split('.');
  for (let n = parts.length; n > 0; n -= 1) {
    const source = report.sources.get(parts.slice(0, n).join('.'));
    if (source) return source;
  }
  return report.path;
}

function responseOf(
  entry: BundleEntry,
  refused: Map<number, Refusal>,
  outcomes: Map<number, BatchAnswer>,
  usedBy: Map<number, number[]>,
): FhirBundleEntry['response'] {
  const refusedEntry = refused.get(entry.index);
  if (refusedEntry) return { status: refusedEntry.status, outcome: outcome(refusedEntry.issues) };
  const type = entry.resource!.resourceType;
  // An entry several reports use answers as the first of them that was stored, else as the first.
  const users = type === 'DiagnosticReport' ? [entry.index] : usedBy.get(entry.index)!;
  const reportIndex = users.find((i) => !refused.has(i)) ?? users[0];
  const report = refused.get(reportIndex);
  if (report) {
    const text = `Not stored: the DiagnosticReport at Bundle.entry[${reportIndex}] that uses it was refused`;
    return { status: report.status, outcome: outcome([errorIssue(text, entry.path, 'processing')]) };
  }
  const answer = outcomes.get(reportIndex)!;
  const status = answer.outcome === 'created' ? '201 Created' : '200 OK';
  const version = { etag: `W/"${answer.version}"` };
  const note = (text: string) => ({ outcome: outcome([issue('information', 'informational', text)]) });
  if (type === 'Patient') {
    return {
      status: '200 OK',
      ...note(`Identifies the patient of Bundle.entry[${reportIndex}]; only a keyed pseudonym is kept, never the Patient`),
    };
  }
  if (type === 'Observation') return { status, ...version, ...note(`Stored as a value of DiagnosticReport/${answer.resultId}`) };
  const change =
    answer.outcome === 'updated'
      ? note(`A new version (${answer.version}); the previous one is kept`)
      : answer.outcome === 'unchanged'
        ? note('Unchanged: the same report is stored')
        : {};
  return { status, location: `${type}/${answer.resultId}/_history/${answer.version}`, ...version, ...change };
}

// A DiagnosticReport, with the Observations, ImagingStudy and Patient it names, as one result the
// results service submits (a BatchResultItem): the same validation, idempotency and amendment as REST.
import type { DiagnosticReport, ImagingStudy, Observation, OperationOutcomeIssue, Patient, Resource } from '@medplum/fhirtypes';
import { identityFromFhirIdentifiers, type PatientIdentity } from '../patients/index.ts';
import { itemForCodings, loincSystem, type RegistrySnapshot } from '../registry/index.ts';
import type { Located, Resolver } from './bundle.ts';
import { analyteCodeSystem, dicomUidSystem, identifierTypeSystem, interpretationSystem, loincPattern } from './codes.ts';
import { errorIssue } from './outcome.ts';

/** What a report becomes: the item to submit, where each of its fields came from, the entries it used, and what is wrong. */
export interface MappedReport {
  /** Where the report is in the Bundle. */
  path: string;
  item: Record<string, unknown>;
  /** Item field (`performedAt`, `analytes.2`) → FHIR location, so the service's field errors point into the Bundle. */
  sources: Map<string, string>;
  /** The Bundle entries (other than the report's own) the result is made of. */
  uses: Set<number>;
  /** Why the report cannot be submitted; empty when it can. */
  issues: OperationOutcomeIssue[];
}

export interface MappingContext {
  registry: RegistrySnapshot;
  hospitalId: string;
  resolver: Resolver;
}

type Issues = OperationOutcomeIssue[];
const skippedObservationStatuses = new Set(['cancelled', 'entered-in-error']);
// FHIR dateTime with a time carries its offset; a bare date cannot place a result in its validity window.
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function reportToItem(report: Located<DiagnosticReport>, context: MappingContext): MappedReport {
  const dr = report.resource;
  const at = report.path;
  const issues: Issues = [];
  const sources = new Map<string, string>();
  const uses = new Set<number>();
  const item: Record<string, unknown> = { status: dr.status };
  sources.set('status', `${at}.status`);
  const use = (located: Located) => {
    if (located.entry !== report.entry) uses.add(located.entry.index);
  };

  const accession = accessionOf(dr);
  if (typeof accession === 'string') item.accessionNo = accession;
  else issues.push(errorIssue(accession.problem, `${at}.identifier`, 'required'));
  sources.set('accessionNo', `${at}.identifier`);

  const patient = patientOf(report, context.resolver);
  if ('issue' in patient) issues.push(patient.issue);
  else {
    item.patient = patient.identity;
    sources.set('patient', patient.path);
    if (patient.located) use(patient.located);
  }

  const coded = itemForCodings(context.registry, context.hospitalId, dr.code?.coding);
  if (!coded) {
    const text =
      'code names no catalogue item: use the catalogue code system, the hospital’s local code system or a LOINC code the catalogue lists';
    issues.push(errorIssue(text, `${at}.code`, 'code-invalid'));
  } else if (coded.requestedCode !== coded.item.code) item.localCode = coded.requestedCode;
  else item.itemCode = coded.item.code;
  sources.set('itemCode', `${at}.code`).set('localCode', `${at}.code`);

  const performedAt = dr.effectiveDateTime ?? dr.effectivePeriod?.start;
  if (performedAt === undefined || !instantPattern.test(performedAt)) {
    issues.push(
      errorIssue(
        'effective[x] must be a date-time with a time zone (when the specimen was taken or the images acquired)',
        `${at}.effective`,
      ),
    );
  } else item.performedAt = performedAt;
  sources.set('performedAt', `${at}.effective`);
  if (dr.issued !== undefined) item.reportedAt = dr.issued;
  sources.set('reportedAt', `${at}.issued`);
  if (dr.conclusion !== undefined) item.findings = dr.conclusion;
  sources.set('findings', `${at}.conclusion`);

  const analytes: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const [i, reference] of (dr.result ?? []).entries()) {
    const resolved = context.resolver.resolve<Observation>(reference, report, `${at}.result[${i}]`, 'Observation');
    if ('issue' in resolved) issues.push(resolved.issue);
    else
      for (const observation of observationsOf(resolved, context.resolver, issues, { depth: 0, seen })) {
        use(observation);
        const analyte = analyteOf(observation, context, issues);
        if (!analyte) continue;
        sources.set(`analytes.${analytes.length}`, observation.path);
        analytes.push(analyte);
      }
  }
  if (analytes.length > 0) item.analytes = analytes;

  const studies = dr.imagingStudy ?? [];
  if (studies.length > 1) issues.push(errorIssue('A result has one imaging study: reference one ImagingStudy', `${at}.imagingStudy[1]`));
  if (studies.length > 0) {
    const study = context.resolver.resolve<ImagingStudy>(studies[0], report, `${at}.imagingStudy[0]`, 'ImagingStudy');
    if ('issue' in study) issues.push(study.issue);
    else {
      use(study);
      Object.assign(item, imagingOf(study.resource));
      for (const field of ['studyUid', 'imagesAvailable', 'equipment']) sources.set(field, study.path);
    }
  }
  return { path: at, item, sources, uses, issues };
}

/** The accession number: the identifier typed ACSN, else the official one, else the only one. */
function accessionOf(dr: DiagnosticReport): string | { problem: string } {
  const identifiers = (dr.identifier ?? []).filter((i) => typeof i.value === 'string' && i.value.trim() !== '');
  const typed = identifiers.find((i) => i.type?.coding?.some((c) => c.system === identifierTypeSystem && c.code === 'ACSN'));
  const official = identifiers.filter((i) => i.use === 'official');
  const chosen = typed ?? (official.length === 1 ? official[0] : identifiers.length === 1 ? identifiers[0] : undefined);
  if (chosen) return chosen.value!.trim();
  return {
    problem:
      identifiers.length === 0
        ? 'identifier is required: the accession number identifies the result (a resubmission amends it)'
        : 'identifier: mark the accession number with type ACSN (several identifiers are given)',
  };
}

function patientOf(report: Located<DiagnosticReport>, resolver: Resolver) {
  const subject = report.resource.subject;
  const where = `${report.path}.subject`;
  let identity: PatientIdentity | null;
  let path = where;
  let located: Located | undefined;
  if (subject?.reference) {
    const patient = resolver.resolve<Patient>(subject, report, where, 'Patient');
    if ('issue' in patient) return patient;
    identity = identityFromFhirIdentifiers(patient.resource.identifier);
    path = `${patient.path}.identifier`;
    located = patient;
  } else if (subject?.identifier) {
    identity = identityFromFhirIdentifiers([subject.identifier]);
    path = `${where}.identifier`;
  } else {
    return { issue: errorIssue('subject is required: a Patient with a resident ID or passport identifier', where, 'required') };
  }
  if (!identity) {
    const text = 'The patient has no identifier of a supported system (resident ID urn:oid:2.16.156.10011.1.3, passport or other)';
    return { issue: errorIssue(text, path, 'required') };
  }
  return { identity, path, located };
}

/** The most Observations one report may be made of: a result holds at most 500 analytes. */
export const maxObservationsPerReport = 500;

/**
 * The Observations of a report's result, panels (hasMember) opened two levels deep. Each Observation
 * counts once per report (`seen`, by its place in the Bundle), however many panels name it, and a
 * report stops at `maxObservationsPerReport`: references cannot multiply the work.
 */
function observationsOf(
  located: Located<Observation>,
  resolver: Resolver,
  issues: Issues,
  walk: { depth: number; seen: Set<string> },
): Located<Observation>[] {
  if (walk.seen.has(located.path)) return [];
  if (walk.seen.size >= maxObservationsPerReport) {
    if (walk.seen.size === maxObservationsPerReport) {
      issues.push(errorIssue(`A report is made of at most ${maxObservationsPerReport} Observations`, located.path, 'too-costly'));
      walk.seen.add('(over)');
    }
    return [];
  }
  walk.seen.add(located.path);
  const members = located.resource.hasMember ?? [];
  if (members.length === 0 || walk.depth >= 2) return [located];
  const found: Located<Observation>[] = [located];
  for (const [i, member] of members.entries()) {
    const resolved = resolver.resolve<Observation>(member, located, `${located.path}.hasMember[${i}]`, 'Observation');
    if ('issue' in resolved) issues.push(resolved.issue);
    else found.push(...observationsOf(resolved, resolver, issues, { depth: walk.depth + 1, seen: walk.seen }));
  }
  return found;
}

/**
 * One Observation as one analyte value. Withdrawn observations, and those without a value (a panel,
 * a test not done), are not values. The analyte code: the catalogue's analyte code system, else the
 * analyte of a single-analyte catalogue item the codes name, else the LOINC code itself.
 */
function analyteOf(located: Located<Observation>, context: MappingContext, issues: Issues): Record<string, unknown> | null {
  const observation = located.resource;
  if (skippedObservationStatuses.has(observation.status)) return null;
  const value = valueOf(observation);
  if (value === undefined) {
    if (hasUnsupportedValue(observation))
      issues.push(
        errorIssue(
          'Only Quantity, string, integer, boolean or CodeableConcept values are accepted',
          `${located.path}.value`,
          'not-supported',
        ),
      );
    return null;
  }
  const codings = observation.code?.coding ?? [];
  const own = codings.find((c) => c.system === analyteCodeSystem && c.code)?.code;
  const single = itemForCodings(context.registry, context.hospitalId, codings)?.item.analytes;
  const loinc = codings.find((c) => c.system === loincSystem && loincPattern.test(c.code ?? ''))?.code;
  const code = own ?? (single?.length === 1 ? single[0] : loinc);
  if (!code) {
    issues.push(errorIssue('code names no analyte: use the analyte code system or LOINC', `${located.path}.code`, 'code-invalid'));
    return null;
  }
  const quantity = observation.valueQuantity;
  const range = observation.referenceRange?.[0];
  const referenceRange = range?.text ?? rangeText(range?.low?.value, range?.high?.value, range?.low?.unit ?? range?.high?.unit);
  const interpretation = observation.interpretation?.[0];
  const flag =
    interpretation?.coding?.find((c) => c.system === interpretationSystem)?.code ??
    interpretation?.text ??
    interpretation?.coding?.[0]?.code;
  return {
    code,
    value,
    ...((quantity?.unit ?? quantity?.code) ? { unit: quantity?.unit ?? quantity?.code } : {}),
    ...(referenceRange ? { referenceRange } : {}),
    ...(flag ? { flag } : {}),
  };
}

function valueOf(observation: Observation): number | string | undefined {
  const quantity = observation.valueQuantity;
  if (quantity?.value !== undefined) return quantity.comparator ? `${quantity.comparator}${quantity.value}` : quantity.value;
  if (observation.valueString !== undefined) return observation.valueString;
  if (observation.valueInteger !== undefined) return observation.valueInteger;
  if (observation.valueBoolean !== undefined) return String(observation.valueBoolean);
  const concept = observation.valueCodeableConcept;
  return concept ? (concept.text ?? concept.coding?.[0]?.display ?? concept.coding?.[0]?.code) : undefined;
}

const valueKeys = ['valueRange', 'valueRatio', 'valueSampledData', 'valueTime', 'valueDateTime', 'valuePeriod'] as const;
const hasUnsupportedValue = (observation: Observation) => valueKeys.some((key) => observation[key] !== undefined);

function rangeText(low: number | undefined, high: number | undefined, unit: string | undefined): string | undefined {
  const text =
    low !== undefined && high !== undefined
      ? `${low}-${high}`
      : low !== undefined
        ? `>=${low}`
        : high !== undefined
          ? `<=${high}`
          : undefined;
  return text && unit ? `${text} ${unit}` : text;
}

/**
 * The study UID (a DICOM UID identifier) and whether the images can be retrieved: `available` yes,
 * `registered` (nothing yet), `cancelled` and `entered-in-error` no, `unknown` not said (the UID then
 * decides). The study's modality is kept with the equipment.
 */
function imagingOf(study: ImagingStudy): Record<string, unknown> {
  const uid = study.identifier?.find((i) => i.system === dicomUidSystem)?.value?.replace(/^urn:oid:/, '');
  const available = study.status === 'available' ? true : study.status === 'unknown' ? undefined : false;
  const modality = study.modality?.[0]?.code ?? study.series?.[0]?.modality?.code;
  return {
    ...(uid ? { studyUid: uid } : {}),
    ...(available === undefined ? {} : { imagesAvailable: available }),
    ...(modality ? { equipment: { modality } } : {}),
  };
}

export const isResource = (value: unknown): value is Resource =>
  typeof value === 'object' && value !== null && typeof (value as { resourceType?: unknown }).resourceType === 'string';

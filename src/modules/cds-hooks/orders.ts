// What a CDS Hooks call asks about, read from its context and prefetch: the doctor, the draft orders
// (ServiceRequests coded with a catalogue, local or LOINC code) and the patient's identity. Pure.
import { ProblemError, type FieldError } from '../../errors.ts';
import { patientIdentity } from '../../http/schemas.ts';
import { fieldErrors, invalidFields } from '../../http/validation.ts';
import { identityFromFhirIdentifiers, normaliseIdNumber, type PatientIdentity } from '../patients/index.ts';
import { itemForCodings, type RegistrySnapshot } from '../registry/index.ts';
import type { CatalogueItem } from '../rules/index.ts';
import { patientPrefetchKey, type CdsHook } from './definitions.ts';
import { draftServiceRequest, prefetchedPatient, type CdsRequest } from './schemas.ts';

/** 412 (CDS Hooks 2.0): the data the service needs was neither prefetched nor in the request. */
export class PreconditionFailed extends ProblemError {
  constructor(detail: string) {
    super(412, 'precondition-failed', 'Precondition failed', detail);
  }
}

export interface DraftOrder {
  /** The ServiceRequest's id: its card suggests deleting `ServiceRequest/<id>`; null when it has none. */
  id: string | null;
  /** The code the check is asked with: a catalogue code or the hospital's local code. */
  requestedCode: string;
  item: CatalogueItem;
  /** The identity the order's `subject.identifier` names, if any. */
  subjectIdentity: PatientIdentity | null;
}

/** The doctor, from `context.userId` (`Practitioner/123` → `123`; `PractitionerRole/…` alike). */
export function practitionerIdOf(userId: string): string {
  const id = /^(?:(?:Practitioner|PractitionerRole)\/)?([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.exec(userId)?.[1];
  if (!id) throw invalidFields([{ field: 'context.userId', message: 'must be Practitioner/<id> or PractitionerRole/<id>' }]);
  return id;
}

const selected = (selections: readonly string[], id: string) =>
  selections.some((s) => s === `ServiceRequest/${id}` || s.endsWith(`/ServiceRequest/${id}`));

/**
 * The draft ServiceRequests the hook is about (order-select: the selected ones; order-sign: all), each
 * with the catalogue item its codes name for the hospital. Orders naming no catalogue item, and other
 * resources (medications, diets), are not the exchange's business and are left out.
 */
export function draftOrdersOf(hook: CdsHook, context: CdsRequest['context'], registry: RegistrySnapshot, hospitalId: string): DraftOrder[] {
  if (hook === 'order-select' && !context.selections)
    throw invalidFields([{ field: 'context.selections', message: 'is required for order-select' }]);
  const errors: FieldError[] = [];
  const orders: DraftOrder[] = [];
  for (const [index, entry] of (context.draftOrders.entry ?? []).entries()) {
    if (entry.resource?.resourceType !== 'ServiceRequest') continue;
    const { id } = entry.resource;
    if (hook === 'order-select' && !(id && selected(context.selections!, id))) continue;
    const root = ['context', 'draftOrders', 'entry', String(index), 'resource'];
    const parsed = draftServiceRequest.safeParse(entry.resource);
    if (!parsed.success) {
      errors.push(...fieldErrors(parsed.error.issues, root));
      continue;
    }
    const order = parsed.data;
    const subject = /^Patient\/([^/]+)$/.exec(order.subject?.reference?.replace(/^.*\/(?=Patient\/)/, '') ?? '')?.[1];
    if (subject !== undefined && subject !== context.patientId) {
      errors.push({
        field: [...root, 'subject', 'reference'].join('.'),
        message: `must be the context's patient, Patient/${context.patientId}`,
      });
      continue;
    }
    const coded = itemForCodings(registry, hospitalId, order.code?.coding);
    if (!coded) continue;
    const subjectIdentity = order.subject?.identifier ? identityFromFhirIdentifiers([order.subject.identifier]) : null;
    orders.push({ id: order.id ?? null, requestedCode: coded.requestedCode, item: coded.item, subjectIdentity });
  }
  if (errors.length > 0) throw invalidFields(errors);
  return orders;
}

const sameIdentity = (a: PatientIdentity, b: PatientIdentity) =>
  a.idType === b.idType && normaliseIdNumber(a.idType, a.idNumber) === normaliseIdNumber(b.idType, b.idNumber);

/**
 * The patient: the identity among the prefetched Patient's identifiers, else the one the draft orders'
 * subjects name. 412 when neither names one; 400 when the Patient is not the context's, or the orders
 * disagree about who the patient is.
 */
export function patientOf(request: CdsRequest, orders: readonly DraftOrder[]): { identity: PatientIdentity; field: string } {
  const prefetched = prefetchedPatient.safeParse(request.prefetch?.[patientPrefetchKey]);
  const patient = prefetched.success && prefetched.data.resourceType === 'Patient' ? prefetched.data : null;
  if (patient?.id !== undefined && patient?.id !== request.context.patientId) {
    throw invalidFields([{ field: 'prefetch.patient.id', message: `must be the context's patientId, ${request.context.patientId}` }]);
  }
  let identity = identityFromFhirIdentifiers(patient?.identifier);
  let field = 'prefetch.patient.identifier';
  if (!identity) {
    const named = orders.flatMap((o) => (o.subjectIdentity ? [o.subjectIdentity] : []));
    if (named.some((other) => !sameIdentity(other, named[0]))) {
      throw invalidFields([{ field: 'context.draftOrders', message: 'the orders’ subject identifiers name different patients' }]);
    }
    identity = named[0] ?? null;
    field = 'context.draftOrders.entry.resource.subject.identifier';
  }
  if (!identity) {
    throw new PreconditionFailed(
      'No patient identity: prefetch the Patient (Patient/{{context.patientId}}) with a resident ID (urn:oid:2.16.156.10011.1.3) ' +
        'or passport identifier, or give the orders a subject identifier',
    );
  }
  const valid = patientIdentity.safeParse(identity);
  if (!valid.success) throw invalidFields([{ field, message: valid.error.issues[0]?.message ?? 'is not a valid identifier' }]);
  return { identity: valid.data, field };
}

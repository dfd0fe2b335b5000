import { NotFound } from '../../errors.ts';
import { actingHospital, type Actor } from '../auth/index.ts';
import type { AuditedReadDeps } from './history.ts';
import { toSearchResult } from './mappers.ts';
import { findIndexedResult } from './repository.ts';

/** How long a result the exchange gave a hospital in a search or a check stays readable by its id there. */
export const disclosureHours = 24;

/** The service's ids, as it writes them: FHIR ids are case-sensitive, so another spelling names nothing. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ResultRead {
  resultId: string;
  /** The doctor on whose behalf the hospital reads (audited). */
  practitionerId: string;
  /** The catalogue items the caller reads as (ImagingStudy: imaging items); any item when not given. */
  itemCodes?: readonly string[];
}

/**
 * One result by its id, for a doctor's treatment. A read names no patient, so it reaches only what the
 * hospital holds or was lately given by the patient's identity: its own results, those it recognised,
 * and those a search or check of it named in the last `disclosureHours` (the audit trail says which;
 * reading again does not extend that). Any other result, or an id that names none, is the same 404, so
 * the answer says nothing of what exists; the refusal of a result that exists is audited under its
 * patient. The read and its audit event commit together.
 */
export function createResultRead({ db, clock, audit, recognisedBy }: AuditedReadDeps) {
  return async function read(actor: Actor, { resultId, practitionerId, itemCodes }: ResultRead) {
    const hospitalId = actingHospital(actor);
    const missing = () => new NotFound(`No result ${resultId} is visible to this client`);
    if (!uuidPattern.test(resultId)) throw missing();
    const now = clock();
    return db.transaction().execute(async (tx) => {
      const stored = await findIndexedResult(tx, resultId);
      if (!stored) throw missing();
      // Refused as if it did not exist, but audited under the patient it would have disclosed.
      const refused = () => missing().about({ patientKey: stored.patient_key, resultIds: [stored.id] });
      if (itemCodes && !itemCodes.includes(stored.item_code)) throw refused();
      const since = new Date(now.getTime() - disclosureHours * 3_600_000);
      const visible =
        stored.issuing_hospital_id === hospitalId ||
        (await audit.disclosed(tx, { hospitalId, patientKey: stored.patient_key, resultId: stored.id, since })) ||
        (await recognisedBy(tx, hospitalId, stored.id));
      if (!visible) throw refused();
      await audit.record(tx, {
        action: 'results.read',
        outcome: 'success',
        at: now,
        clientId: actor.clientId,
        hospitalId,
        practitionerId,
        purpose: 'treatment',
        patientKey: stored.patient_key,
        resultIds: [stored.id],
        query: { resultId: stored.id },
        origin: actor.origin,
      });
      return toSearchResult(stored);
    });
  };
}

import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { decide, type CheckContext, type Decision, type ResultFacts } from '../rules/index.ts';
import type { RegistrySnapshot } from '../registry/index.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** A recognition (a `recognized` decision) with the check it was made on: what a recall reports. */
export interface Recognition {
  decisionId: string;
  checkId: string;
  resultId: string;
  /** The requested item the result was recognised for. */
  itemCode: string;
  receivingHospitalId: string;
  issuingHospitalId: string;
  practitionerId: string;
  clientId: string;
  patientKey: string;
  context: CheckContext;
  decidedAt: Date;
}

function recognitionsQuery(db: Executor) {
  return db
    .selectFrom('recognition_decisions as d')
    .innerJoin('recognition_checks as c', 'c.id', 'd.check_id')
    .select([
      'd.id',
      'd.check_id',
      'd.result_id',
      'd.item_code',
      'd.receiving_hospital_id',
      'd.issuing_hospital_id',
      'd.practitioner_id',
      'd.client_id',
      'd.decided_at',
      'c.patient_key',
      'c.context',
    ])
    .where('d.action', '=', 'recognized')
    .orderBy('d.decided_at')
    .orderBy('d.id');
}

type RecognitionRow = Awaited<ReturnType<ReturnType<typeof recognitionsQuery>['execute']>>[number];

const toRecognition = (r: RecognitionRow): Recognition => ({
  decisionId: r.id,
  checkId: r.check_id,
  resultId: r.result_id,
  itemCode: r.item_code,
  receivingHospitalId: r.receiving_hospital_id,
  issuingHospitalId: r.issuing_hospital_id,
  practitionerId: r.practitioner_id,
  clientId: r.client_id,
  patientKey: r.patient_key,
  context: r.context as CheckContext,
  decidedAt: r.decided_at,
});

/** The recognitions of the given results made at or after `since`, oldest first. */
export async function recognitionsOfResults(db: Executor, resultIds: readonly string[], since: Date): Promise<Recognition[]> {
  if (resultIds.length === 0) return [];
  const rows = await recognitionsQuery(db).where('d.result_id', 'in', resultIds).where('d.decided_at', '>=', since).execute();
  return rows.map(toRecognition);
}

/** The recognitions of an issuer's results made at or after `since`, oldest first. */
export async function recognitionsOfIssuer(db: Executor, issuerId: string, since: Date): Promise<Recognition[]> {
  const rows = await recognitionsQuery(db).where('d.issuing_hospital_id', '=', issuerId).where('d.decided_at', '>=', since).execute();
  return rows.map(toRecognition);
}

/** Whether a hospital ever recognised a result. */
export async function recognisedBy(db: Executor, hospitalId: string, resultId: string): Promise<boolean> {
  const row = await db
    .selectFrom('recognition_decisions')
    .select('id')
    .where('result_id', '=', resultId)
    .where('receiving_hospital_id', '=', hospitalId)
    .where('action', '=', 'recognized')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Judges a recognised (or to be recognised) result again: the rules engine on the result as it is now,
 * the given registry, the check's clinical context, for the item it was requested as, at `at`. Null
 * when the registry no longer knows the hospitals or items involved (nothing to judge with).
 */
export function judgeAgain(
  registry: RegistrySnapshot,
  recognition: { itemCode: string; receivingHospitalId: string; context: CheckContext },
  result: ResultFacts,
  at: Date,
): Decision | null {
  const requestedItem = registry.items.get(recognition.itemCode);
  const resultItem = registry.items.get(result.itemCode);
  const issuer = registry.hospitals.get(result.issuingHospitalId);
  const receiver = registry.hospitals.get(recognition.receivingHospitalId);
  if (!requestedItem || !resultItem || !issuer || !receiver) return null;
  const facts = {
    requestedItem,
    result,
    resultItem,
    issuer,
    receiver,
    scopes: registry.scopes,
    certifications: registry.certifications.get(issuer.id) ?? [],
    context: recognition.context,
  };
  return decide(registry.ruleSet, facts, at);
}

import type { Selectable, Transaction } from 'kysely';
import type { DB, RecognitionDecisions } from '../../db/schema.ts';
import { enqueueDecisions } from '../reports/index.ts';
import type { CheckContext } from '../rules/index.ts';

export interface CheckForDecision {
  id: string;
  receiverId: string;
  patientKey: string;
  practitionerId: string;
  ruleSetVersion: number;
  /** The clinical context the check was asked in. */
  context: CheckContext;
  candidates: {
    itemCode: string;
    resultId: string;
    issuingHospitalId: string;
    outcome: string;
    advisories: string[];
    yuan: number;
    minutes: number;
    radiationMsv: number;
  }[];
  decisions: DecisionRow[];
}

const decisionColumns = [
  'id',
  'item_code',
  'result_id',
  'action',
  'reason_code',
  'reason_text',
  'flagged',
  'yuan',
  'minutes',
  'radiation_msv',
] as const;

export type DecisionRow = Pick<Selectable<RecognitionDecisions>, (typeof decisionColumns)[number]>;

/**
 * The check with its candidates and earlier decisions. The check row is locked (FOR UPDATE) so
 * concurrent decisions on one check are serialised: the one-recognition-per-item rule and
 * idempotent repeats are then decided on a stable view.
 */
export async function lockCheck(trx: Transaction<DB>, checkId: string): Promise<CheckForDecision | null> {
  const check = await trx
    .selectFrom('recognition_checks')
    .select(['id', 'receiving_hospital_id', 'rule_set_version', 'practitioner_id', 'patient_key', 'context'])
    .where('id', '=', checkId)
    .forUpdate()
    .executeTakeFirst();
  if (!check) return null;
  const candidates = await trx
    .selectFrom('check_candidates')
    .select(['item_code', 'result_id', 'issuing_hospital_id', 'outcome', 'advisories', 'yuan', 'minutes', 'radiation_msv'])
    .where('check_id', '=', checkId)
    .execute();
  const decisions = await trx.selectFrom('recognition_decisions').select(decisionColumns).where('check_id', '=', checkId).execute();
  return {
    id: check.id,
    receiverId: check.receiving_hospital_id,
    patientKey: check.patient_key,
    practitionerId: check.practitioner_id,
    ruleSetVersion: check.rule_set_version,
    context: check.context as CheckContext,
    candidates: candidates.map((c) => ({
      itemCode: c.item_code,
      resultId: c.result_id,
      issuingHospitalId: c.issuing_hospital_id,
      outcome: c.outcome,
      advisories: c.advisories,
      yuan: c.yuan,
      minutes: c.minutes,
      radiationMsv: c.radiation_msv,
    })),
    decisions,
  };
}

export interface NewDecision {
  checkId: string;
  itemCode: string;
  resultId: string;
  receiverId: string;
  issuerId: string;
  clientId: string;
  practitionerId: string;
  action: 'recognized' | 'declined';
  reasonCode: string | null;
  reasonText: string | null;
  flagged: boolean;
  yuan: number;
  minutes: number;
  radiationMsv: number;
  ruleSetVersion: number;
  decidedAt: Date;
}

/** Inserts the decisions and queues them for the report aggregates. */
export async function insertDecisions(trx: Transaction<DB>, decisions: NewDecision[]): Promise<DecisionRow[]> {
  if (decisions.length === 0) return [];
  const rows = await trx
    .insertInto('recognition_decisions')
    .values(
      decisions.map((d) => ({
        check_id: d.checkId,
        item_code: d.itemCode,
        result_id: d.resultId,
        receiving_hospital_id: d.receiverId,
        issuing_hospital_id: d.issuerId,
        client_id: d.clientId,
        practitioner_id: d.practitionerId,
        action: d.action,
        reason_code: d.reasonCode,
        reason_text: d.reasonText,
        flagged: d.flagged,
        yuan: d.yuan,
        minutes: d.minutes,
        radiation_msv: d.radiationMsv,
        rule_set_version: d.ruleSetVersion,
        decided_at: d.decidedAt,
      })),
    )
    .returning([...decisionColumns, 'check_id'])
    .execute();
  await enqueueDecisions(trx, rows);
  return rows;
}

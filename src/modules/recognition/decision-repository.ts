import type { Selectable, Transaction } from 'kysely';
import type { DB, RecognitionDecisionsTable } from '../../db/schema.ts';

export interface CheckForDecision {
  id: string;
  receiverId: string;
  receiverCity: string;
  practitionerId: string;
  patientKey: string;
  createdAt: Date;
  ruleSetVersion: number;
  candidates: {
    itemCode: string;
    category: string;
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

const decisionColumns = ['id', 'item_code', 'result_id', 'action', 'reason_code', 'reason_text', 'flagged', 'yuan', 'minutes', 'radiation_msv'] as const;

export type DecisionRow = Pick<Selectable<RecognitionDecisionsTable>, (typeof decisionColumns)[number]>;

/**
 * The check with its candidates and earlier decisions. The check row is locked (FOR UPDATE) so
 * concurrent decisions on one check are serialised: the one-recognition-per-item rule and
 * idempotent repeats are then decided on a stable view.
 */
export async function lockCheck(trx: Transaction<DB>, checkId: string): Promise<CheckForDecision | null> {
  const check = await trx
    .selectFrom('recognition_checks as c')
    .innerJoin('hospitals as h', 'h.id', 'c.receiving_hospital_id')
    .select(['c.id', 'c.receiving_hospital_id', 'c.rule_set_version', 'c.practitioner_id', 'c.patient_key', 'c.created_at', 'h.city'])
    .where('c.id', '=', checkId)
    .forUpdate(['c'])
    .executeTakeFirst();
  if (!check) return null;
  const candidates = await trx
    .selectFrom('check_candidates as cc')
    .innerJoin('items as i', 'i.code', 'cc.item_code')
    .select(['cc.item_code', 'cc.result_id', 'cc.issuing_hospital_id', 'cc.outcome', 'cc.advisories', 'cc.yuan', 'cc.minutes', 'cc.radiation_msv', 'i.category'])
    .where('cc.check_id', '=', checkId)
    .execute();
  const decisions = await trx.selectFrom('recognition_decisions').select(decisionColumns).where('check_id', '=', checkId).execute();
  return {
    id: check.id,
    receiverId: check.receiving_hospital_id,
    receiverCity: check.city,
    practitionerId: check.practitioner_id,
    patientKey: check.patient_key,
    createdAt: check.created_at,
    ruleSetVersion: check.rule_set_version,
    candidates: candidates.map((c) => ({
      itemCode: c.item_code,
      category: c.category,
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

export async function insertDecisions(trx: Transaction<DB>, decisions: NewDecision[]): Promise<DecisionRow[]> {
  if (decisions.length === 0) return [];
  return trx
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
    .returning(decisionColumns)
    .execute();
}



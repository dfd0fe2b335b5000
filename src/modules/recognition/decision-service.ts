import type { z } from 'zod';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { BadRequest, Conflict, Forbidden, NotFound, ProblemError, type FieldError } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import { rememberAnswer, type IdempotentRequest } from '../idempotency/index.ts';
import { declineFlagged, reasonProblems, recognitionRefusal, type DeclineCode } from '../rules/index.ts';
import { holdRegistryVersion, type RegistrySnapshot, type RegistrySnapshots } from '../registry/index.ts';
import { resultFactsOf } from '../results/index.ts';
import { judgeAgain } from './recognitions.ts';
import { insertDecisions, lockCheck, type CheckForDecision, type DecisionRow, type NewDecision } from './decision-repository.ts';
import type { decisionsRequest } from './schemas.ts';

type DecisionInput = z.infer<typeof decisionsRequest>['decisions'][number];

export function decisionView(row: DecisionRow) {
  return {
    decisionId: row.id,
    resultId: row.result_id,
    itemCode: row.item_code,
    action: row.action as 'recognized' | 'declined',
    reasonCode: row.reason_code as DeclineCode | null,
    reasonText: row.reason_text,
    flagged: row.flagged,
    savings: { yuan: row.yuan, minutes: row.minutes, radiationMsv: row.radiation_msv },
  };
}

/** Field-level checks that need no database: decline codes and their free text. */
function checkDeclineReasons(decisions: DecisionInput[]): void {
  const errors: FieldError[] = decisions.flatMap((d, i) =>
    reasonProblems(d).map((p) => ({ field: `decisions.${i}.${p.field}`, message: p.message })),
  );
  if (errors.length > 0) throw new BadRequest('Some decisions are incomplete', errors);
}

/** The candidate a decision names: by result, and by item when the result stands for several. */
function candidateFor(check: CheckForDecision, d: DecisionInput, index: number) {
  const matching = check.candidates.filter((c) => c.resultId === d.resultId && (!d.itemCode || c.itemCode === d.itemCode));
  if (matching.length === 0) {
    throw new BadRequest(`Result ${d.resultId} is not a candidate of check ${check.id}${d.itemCode ? ` for ${d.itemCode}` : ''}`, [
      { field: `decisions.${index}.resultId`, message: 'is not a candidate of this check' },
    ]);
  }
  if (matching.length > 1) {
    throw new BadRequest('The result is a candidate for several requested items: name one', [
      { field: `decisions.${index}.itemCode`, message: 'is required for this result' },
    ]);
  }
  return matching[0];
}

/**
 * Judges the recognitions about to be made again, on the results as they are now and the registry as
 * it is now: a result corrected, withdrawn or no longer certified since the check is refused (409, with
 * the new reasons), and nothing is logged. The results and the registry version are held until the
 * decisions commit, so nothing can change them in between (a change waits, then sees the recognition
 * and recalls it). Null when the registry held is older than the database's: read a newer one and retry.
 */
async function judgeRecognitionsAgain(
  trx: Transaction<DB>,
  registry: RegistrySnapshot,
  check: CheckForDecision,
  recognitions: readonly NewDecision[],
  now: Date,
): Promise<'judged' | 'stale'> {
  if (recognitions.length === 0) return 'judged';
  if ((await holdRegistryVersion(trx)) > registry.version) return 'stale';
  const results = new Map(
    (await resultFactsOf(trx, [...new Set(recognitions.map((d) => d.resultId))], { lock: true, patientKey: check.patientKey })).map((r) => [
      r.id,
      r,
    ]),
  );
  const refused = recognitions.flatMap((d) => {
    const result = results.get(d.resultId);
    const decision =
      result && judgeAgain(registry, { itemCode: d.itemCode, receivingHospitalId: check.receiverId, context: check.context }, result, now);
    if (decision?.outcome === 'RECOGNIZABLE') return [];
    return [{ resultId: d.resultId, itemCode: d.itemCode, reasons: decision?.reasons ?? [] }];
  });
  if (refused.length > 0) {
    const named = refused.map((r) => `${r.resultId} (${r.reasons.join(', ') || 'no longer indexed for this patient'})`).join('; ');
    throw new Conflict(`No longer recognisable since the check: ${named}. Nothing was recorded.`, 'no-longer-recognizable', { refused });
  }
  return 'judged';
}

export interface DecisionServiceDeps {
  db: Database;
  clock: () => Date;
  audit: AuditTrail;
  registry: RegistrySnapshots;
}

export function createDecisionService({ db, clock, audit, registry: snapshots }: DecisionServiceDeps) {
  return {
    /**
     * Records the doctor's decisions on a check's candidates, all or nothing, in one transaction
     * with their savings. Repeats of an earlier decision are idempotent; contradictions are 409; a
     * recognition is judged again at decision time (judgeRecognitionsAgain).
     */
    async decide(actor: Actor, checkId: string, decisions: DecisionInput[], practitionerId?: string, idempotency?: IdempotentRequest) {
      checkDeclineReasons(decisions);
      let registry = await snapshots.current();
      for (;;) {
        const answer = await decideWith(registry, actor, checkId, decisions, practitionerId, idempotency);
        if (answer !== 'stale') return answer;
        registry = await snapshots.newerThan(registry.version);
      }
    },
  };

  function decideWith(
    registry: RegistrySnapshot,
    actor: Actor,
    checkId: string,
    decisions: DecisionInput[],
    practitionerId?: string,
    idempotency?: IdempotentRequest,
  ) {
    return db.transaction().execute(async (trx) => {
      const check = await lockCheck(trx, checkId);
      if (!check) throw new NotFound(`Recognition check ${checkId} does not exist`);
      // Every refusal from here on is about the check's patient and the results named: audited so.
      const subject = { patientKey: check.patientKey, resultIds: [...new Set(decisions.map((d) => d.resultId))], checkId };
      try {
        if (check.receiverId !== actor.hospitalId) throw new Forbidden('Only the hospital that made the check may decide on it');
        const now = clock();
        const answers: ({ existing: DecisionRow } | { fresh: NewDecision })[] = [];
        const key = (itemCode: string, resultId: string) => `${itemCode}/${resultId}`;
        const decided = new Map<string, DecisionRow>(check.decisions.map((row) => [key(row.item_code, row.result_id), row]));
        const named = new Set<string>();
        const recognisedItems = new Set(check.decisions.filter((d) => d.action === 'recognized').map((d) => d.item_code));
        decisions.forEach((d, index) => {
          const candidate = candidateFor(check, d, index);
          const candidateKey = key(candidate.itemCode, candidate.resultId);
          if (named.has(candidateKey)) {
            throw new BadRequest('A candidate is named twice in this request', [
              { field: `decisions.${index}.resultId`, message: 'is already decided earlier in this request' },
            ]);
          }
          named.add(candidateKey);
          const prior = decided.get(candidateKey);
          if (prior) {
            // Only the very same decision is a repeat; anything else contradicts the log.
            const same =
              prior.action === d.action && prior.reason_code === (d.reasonCode ?? null) && prior.reason_text === (d.reasonText ?? null);
            if (!same)
              throw new Conflict(
                `Result ${candidate.resultId} was already ${prior.action}${prior.reason_code ? ` (${prior.reason_code})` : ''} in this check`,
                'decision-conflict',
              );
            answers.push({ existing: prior });
            return;
          }
          if (d.action === 'recognized') {
            const refusal = recognitionRefusal(candidate, recognisedItems);
            if (refusal) throw new Conflict(`Result ${candidate.resultId} cannot be recognised: ${refusal.reason}`, refusal.code);
            recognisedItems.add(candidate.itemCode);
          }
          const recognised = d.action === 'recognized';
          answers.push({
            fresh: {
              checkId,
              itemCode: candidate.itemCode,
              resultId: candidate.resultId,
              receiverId: check.receiverId,
              issuerId: candidate.issuingHospitalId,
              clientId: actor.clientId,
              practitionerId: practitionerId ?? check.practitionerId,
              action: d.action,
              reasonCode: d.reasonCode ?? null,
              reasonText: d.reasonText ?? null,
              flagged: !recognised && declineFlagged(candidate),
              yuan: recognised ? candidate.yuan : 0,
              minutes: recognised ? candidate.minutes : 0,
              radiationMsv: recognised ? candidate.radiationMsv : 0,
              ruleSetVersion: check.ruleSetVersion,
              decidedAt: now,
            },
          });
        });
        const fresh = answers.flatMap((a) => ('fresh' in a ? [a.fresh] : []));
        const recognitions = fresh.filter((d) => d.action === 'recognized');
        if ((await judgeRecognitionsAgain(trx, registry, check, recognitions, now)) === 'stale') return 'stale' as const;
        const inserted = await insertDecisions(trx, fresh);
        // Deciding acts on a patient's result: audited with the decisions, in their transaction.
        await audit.record(trx, {
          action: 'recognition.decision',
          outcome: 'success',
          at: now,
          clientId: actor.clientId,
          hospitalId: actor.hospitalId,
          practitionerId: practitionerId ?? check.practitionerId,
          purpose: 'treatment',
          patientKey: check.patientKey,
          checkId,
          resultIds: [...new Set(decisions.map((d) => d.resultId))],
          query: { decisions: decisions.map((d) => ({ resultId: d.resultId, action: d.action, reasonCode: d.reasonCode ?? null })) },
          origin: actor.origin,
        });
        let next = 0;
        const rows = answers.map((a) => ('existing' in a ? a.existing : inserted[next++]));
        const answer = { created: inserted.length > 0, decisions: rows.map(decisionView) };
        if (idempotency) {
          const response = { decisions: answer.decisions };
          await rememberAnswer(trx, idempotency.clientId, idempotency.key, {
            requestHash: idempotency.requestHash,
            statusCode: answer.created ? 201 : 200,
            response,
            createdAt: now,
          });
        }
        return answer;
      } catch (error) {
        if (error instanceof ProblemError && !error.subject) error.about(subject);
        throw error;
      }
    });
  }
}

export type DecisionService = ReturnType<typeof createDecisionService>;

import type { z } from 'zod';
import type { Database, Prepared } from '../../db/database.ts';
import { BadRequest, Forbidden } from '../../errors.ts';
import type { Actor } from '../auth/index.ts';
import type { AuditTrail } from '../audit/index.ts';
import type { IdempotentRequest } from '../idempotency/index.ts';
import { derivePatientKey } from '../patients/index.ts';
import {
  decide,
  explain,
  itemMatch,
  purposeRefusal,
  type Locale,
  type CheckContext,
  type Decision,
  type DecisionFacts,
  type ResultFacts,
} from '../rules/index.ts';
import { createCheckStore } from './check-store.ts';
import type { RegistrySnapshots } from '../registry/index.ts';
import type { StoredCandidate } from './candidates.ts';
import type { checkRequest } from './schemas.ts';

export interface RecognitionDeps {
  audit: AuditTrail;
  db: Database;
  prepared: Prepared;
  registry: RegistrySnapshots;
  clock: () => Date;
  patientKeySecret: string;
  /** Told how many checks each shared statement serves (a metric). */
  sharedStatement?: (statement: 'read' | 'write', checks: number) => void;
  /** Whether the database is a Citus coordinator: each check's write is then routed to its shard. */
  citus?: () => Promise<boolean>;
}

const byRecognisableThenNewest = (a: { decision: Decision; result: ResultFacts }, b: { decision: Decision; result: ResultFacts }) =>
  Number(b.decision.outcome === 'RECOGNIZABLE') - Number(a.decision.outcome === 'RECOGNIZABLE') ||
  b.result.performedAt.getTime() - a.result.performedAt.getTime();

export function createCheckService({ db, prepared, registry, clock, patientKeySecret, audit, sharedStatement, citus }: RecognitionDeps) {
  const store = createCheckStore(db, prepared, registry, { shared: sharedStatement, routed: citus });
  return {
    /**
     * Runs a recognition check: reads the patient's results in one statement (the registry comes
     * from memory, checked against the database's registry version), judges each candidate with the
     * pure engine, and stores the check, its outcomes, the audit event and the report counts in
     * another (each statement shared with the checks running at the same moment).
     */
    async check(actor: Actor, request: z.infer<typeof checkRequest>, locale: Locale, idempotency?: IdempotentRequest) {
      // Gate 1: the purpose is checked once, before any result is looked at.
      const refusal = purposeRefusal(request.purpose);
      if (refusal) throw new Forbidden(refusal);
      const receiverId = actor.hospitalId!;
      const now = clock();
      const patientKey = derivePatientKey(request.patient, patientKeySecret, now);
      if (typeof patientKey !== 'string') throw new BadRequest('The patient identity is not valid', [patientKey]);
      const requestedCodes = [...new Set(request.items)];
      const {
        receiver,
        ruleSet,
        requested: resolved,
        candidates,
        scopes,
        certifications,
      } = await store.loadFacts(receiverId, requestedCodes, patientKey, now);
      if (!receiver) throw new Forbidden(`Hospital ${receiverId} is not registered`);
      const unknown = requestedCodes.flatMap((code) =>
        resolved.has(code)
          ? []
          : [
              {
                field: `items.${request.items.indexOf(code)}`,
                message: `${code} is neither a catalogue item nor a local code of ${receiverId}`,
              },
            ],
      );
      if (unknown.length > 0) throw new BadRequest('Unknown item codes', unknown);

      const context: CheckContext = request.context ?? {};
      const seen = new Set<string>();
      const items = requestedCodes.flatMap((requestedCode) => {
        const requestedItem = resolved.get(requestedCode)!;
        if (seen.has(requestedItem.code)) return []; // a local code and its catalogue code asked together
        seen.add(requestedItem.code);
        const judged = candidates
          .filter((c) => itemMatch(requestedItem, c.result, c.resultItem).matches)
          .map((c) => {
            const facts: DecisionFacts = {
              ...c,
              requestedItem,
              receiver,
              scopes,
              certifications: certifications.get(c.issuer.id) ?? [],
              context,
            };
            return { facts, result: c.result, decision: decide(ruleSet, facts, now) };
          })
          .sort(byRecognisableThenNewest);
        return [{ requestedCode, requestedItem, judged }];
      });

      const stored: StoredCandidate[] = items.flatMap(({ requestedItem, judged }) =>
        judged.map(({ result, decision }) => ({
          itemCode: requestedItem.code,
          resultId: result.id,
          issuingHospitalId: result.issuingHospitalId,
          outcome: decision.outcome,
          retestPermitted: decision.retestPermitted,
          reasons: decision.reasons,
          advisories: decision.advisories,
          yuan: decision.savings.yuan,
          minutes: decision.savings.minutes,
          radiationMsv: decision.savings.radiationMsv,
        })),
      );
      const answer = {
        ruleSetVersion: ruleSet.version,
        items: items.map(({ requestedCode, requestedItem, judged }) => ({
          itemCode: requestedItem.code,
          requestedCode,
          candidates: judged.map(({ facts, result, decision }) => ({
            resultId: result.id,
            accessionNo: result.accessionNo,
            issuingHospitalId: result.issuingHospitalId,
            itemCode: result.itemCode,
            performedAt: result.performedAt.toISOString(),
            outcome: decision.outcome,
            retestPermitted: decision.retestPermitted,
            reasons: decision.reasons,
            advisories: decision.advisories,
            explanation: explain(decision, facts, locale),
            savings: decision.savings,
          })),
        })),
      };
      const checkId = await store.record({
        origin: actor.origin,
        query: { items: request.items, context: request.context ?? null },
        idempotency: idempotency && { ...idempotency, response: answer },
        receiverId,
        clientId: actor.clientId,
        practitionerId: request.practitionerId,
        patientKey,
        purpose: request.purpose,
        context: context as Record<string, boolean>,
        ruleSetVersion: ruleSet.version,
        now,
        items: items.map(({ requestedItem, judged }) => ({
          itemCode: requestedItem.code,
          hasRecognizable: judged.some((j) => j.decision.outcome === 'RECOGNIZABLE'),
        })),
        candidates: stored,
      });
      audit.counted('recognition.check', 'success');
      return { checkId, ...answer };
    },
  };
}

export type CheckService = ReturnType<typeof createCheckService>;

// Plays the planned year through the services a deployment runs, with a clock that steps from day to
// day: hospitals submit and correct results, the health commission records certification events,
// doctors run recognition checks and decide on them. Nothing here writes a row itself, so the log,
// the audit trail and the report queue hold exactly what the service would have written.
import type { Kysely } from 'kysely';
import type { Prepared } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { AuditTrail } from '../../modules/audit/index.ts';
import { hospitalScopes, type Actor } from '../../modules/auth/index.ts';
import { createRecallService } from '../../modules/recalls/index.ts';
import { recountRollupValues } from '../../modules/reports/index.ts';
import {
  createCheckService,
  createDecisionService,
  checkRequest,
  decisionsRequest,
  recognisedBy,
} from '../../modules/recognition/index.ts';
import { createRegistrySnapshots } from '../../modules/registry/index.ts';
import { createRegistryService, certificationBody } from '../../modules/registry/index.ts';
import { resultSubmission, createResultService } from '../../modules/results/index.ts';
import type { DeclineCode } from '../../modules/rules/index.ts';
import { demoClientId } from '../certifications.ts';
import { chinaMidnight } from './calendar.ts';
import { schedule, type HistoryPlan, type PlannedCheck, type Submission } from './plan.ts';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export interface HistoryDeps {
  db: Kysely<DB>;
  prepared: Prepared;
  audit: AuditTrail;
  patientKeySecret: string;
}

export interface HistorySummary {
  days: number;
  patients: number;
  /** Results submitted in the hospitals' daily batches, retests included. */
  results: number;
  retests: number;
  amended: number;
  withdrawn: number;
  certificationEvents: number;
  checks: number;
  checkItems: number;
  recognitions: number;
  declines: number;
  /** Declines of a reusable result with no advisory behind it. */
  flagged: number;
}

type Check = Awaited<ReturnType<ReturnType<typeof createCheckService>['check']>>;

// The audit trail tells these events from real requests by their request id.
const origin = { sourceAddress: null, requestId: 'demo-history' };

function hospitalActor(hospitalId: string): Actor {
  return { clientId: demoClientId(hospitalId), hospitalId, scopes: new Set(hospitalScopes), isAdmin: false, origin };
}

export async function playHistory({ db, prepared, audit, patientKeySecret }: HistoryDeps, plan: HistoryPlan): Promise<HistorySummary> {
  let now = new Date(0);
  const clock = () => now;
  // Wired as the service wires them (src/services.ts), with the default recall horizon.
  const recalls = createRecallService({ db, clock, horizonDays: 180 });
  const snapshots = createRegistrySnapshots(db);
  const results = createResultService({ db, clock, patientKeySecret, audit, onChange: recalls.onResultChanges, recognisedBy });
  const checks = createCheckService({ db, prepared, registry: snapshots, clock, patientKeySecret, audit });
  const decisions = createDecisionService({ db, clock, audit, registry: snapshots });
  const registry = createRegistryService({ db, clock, onCertification: recalls.onCertificationEvent, onRegroup: recountRollupValues });
  const summary: HistorySummary = {
    days: plan.days.length,
    patients: plan.patients.length,
    results: 0,
    retests: 0,
    amended: 0,
    withdrawn: 0,
    certificationEvents: 0,
    checks: 0,
    checkItems: 0,
    recognitions: 0,
    declines: 0,
    flagged: 0,
  };
  /** Retests done after a check, sent with the receiver's next batch. */
  let retests: { issuerId: string; submission: Submission }[] = [];

  for (const day of plan.days) {
    const at = (hours: number, minutes = 0) => new Date(chinaMidnight(day.date) + hours * HOUR_MS + minutes * MINUTE_MS);

    for (const [i, event] of day.certifications.entries()) {
      now = at(schedule.certifications, i);
      const body = certificationBody.parse({
        scopeId: event.scopeId,
        status: event.status,
        effectiveFrom: event.effectiveFrom.toISOString(),
        ...(event.itemCode ? { itemCode: event.itemCode } : {}),
        ...(event.category ? { category: event.category } : {}),
        ...(event.note ? { note: event.note } : {}),
      });
      await registry.addCertification(event.hospitalId, body, 'demo-data');
      summary.certificationEvents += 1;
    }

    for (const [i, { issuerId, kind, submission }] of day.corrections.entries()) {
      now = at(schedule.corrections, i);
      const { accessionNo, ...body } = submission;
      await results.submit(hospitalActor(issuerId), accessionNo, resultSubmission.parse(body));
      if (kind === 'amended' || kind === 'corrected') summary.amended += 1;
      if (kind === 'withdrawn') summary.withdrawn += 1;
    }

    // Each hospital's HIS sends the morning's results (and yesterday's retests) in one batch.
    const batches = new Map<string, Submission[]>();
    for (const { issuerId, submission } of [...retests, ...day.submissions])
      batches.set(issuerId, [...(batches.get(issuerId) ?? []), submission]);
    summary.retests += retests.length;
    retests = [];
    let sent = 0;
    for (const [issuerId, batch] of batches) {
      now = at(schedule.batches, sent++);
      const answer = await results.submitBatch(hospitalActor(issuerId), batch);
      const rejected = answer.results.filter((r) => r.outcome === 'rejected');
      if (rejected.length > 0)
        throw new Error(`demo history: ${issuerId}'s batch of ${day.date} was refused: ${JSON.stringify(rejected[0])}`);
      summary.results += batch.length;
    }

    // The day's checks run together, as concurrent requests would (their statements are shared).
    // A check reads the clock before its first await, so each gets its own minute of the afternoon
    // (test/demo-history.test.ts would see checks sharing an instant).
    const spacing = Math.max(1, Math.floor(200 / Math.max(1, day.checks.length)));
    const answers = await Promise.all(
      day.checks.map((planned, i) => {
        now = at(schedule.checks, i * spacing);
        const request = checkRequest.parse({
          practitionerId: planned.practitionerId,
          patient: planned.patient,
          items: planned.items.map((item) => item.itemCode),
          purpose: 'treatment',
          ...(planned.flags ? { context: planned.flags } : {}),
        });
        return checks.check(hospitalActor(planned.receiverId), request, 'zh');
      }),
    );

    for (const [i, planned] of day.checks.entries()) {
      const checkedAt = at(schedule.checks, i * spacing);
      const answer = answers[i];
      summary.checks += 1;
      summary.checkItems += answer.items.length;
      const chosen = decide(planned, answer);
      for (const itemCode of chosen.retest) {
        const retest = plan.retest(planned.receiverId, itemCode, planned.patient, new Date(checkedAt.getTime() + 40 * MINUTE_MS));
        if (retest) retests.push({ issuerId: planned.receiverId, submission: retest });
      }
      if (chosen.decisions.length === 0) continue;
      now = new Date(Math.max(checkedAt.getTime() + 6 * MINUTE_MS, at(schedule.decisions, i).getTime()));
      const request = decisionsRequest.parse({ decisions: chosen.decisions });
      const recorded = await decisions.decide(hospitalActor(planned.receiverId), answer.checkId, request.decisions);
      for (const d of recorded.decisions) {
        if (d.action === 'recognized') summary.recognitions += 1;
        else summary.declines += 1;
        if (d.flagged) summary.flagged += 1;
      }
    }
  }
  return summary;
}

interface Chosen {
  decisions: { resultId: string; itemCode: string; action: 'recognized' | 'declined'; reasonCode?: DeclineCode; reasonText?: string }[];
  /** Items the receiver performs itself (when planned): nothing reusable, or the doctor declined what there was. */
  retest: string[];
}

/**
 * What the doctor decides on each requested item: the newest reusable result is recognised, unless
 * an advisory permits a retest (taken up seven times in ten, with the advisory as the reason) or the
 * doctor declines without one (at the doctor's own rate: flagged for review).
 */
function decide(planned: PlannedCheck, answer: Check): Chosen {
  const chosen: Chosen = { decisions: [], retest: [] };
  const retest = (item: PlannedCheck['items'][number]) => item.retest && chosen.retest.push(item.itemCode);
  for (const item of planned.items) {
    const candidates = answer.items.find((i) => i.itemCode === item.itemCode)?.candidates ?? [];
    const reusable = candidates.find((c) => c.outcome === 'RECOGNIZABLE');
    if (!reusable) {
      retest(item);
      continue;
    }
    const target = { resultId: reusable.resultId, itemCode: item.itemCode };
    if (reusable.advisories.length > 0 && item.draw < 0.7) {
      chosen.decisions.push({ ...target, action: 'declined', reasonCode: reusable.advisories[0] });
      retest(item);
    } else if (reusable.advisories.length === 0 && item.draw < planned.declineRate) {
      chosen.decisions.push({
        ...target,
        action: 'declined',
        reasonCode: item.unadvised.code,
        ...(item.unadvised.text ? { reasonText: item.unadvised.text } : {}),
      });
      retest(item);
    } else {
      chosen.decisions.push({ ...target, action: 'recognized' });
    }
  }
  return chosen;
}

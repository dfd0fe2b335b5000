// The rules engine: decide(ruleSet, facts, now) is a pure function. No I/O, no clock reads, no imports
// outside this folder, so every decision can be replayed and explained from its inputs.
import { DAY_MS, wholeSecond } from '../../calendar.ts';
import { certificationGate, scopeHoldsItem } from './certification.ts';
import { declineCodes, finalReportStatuses, ionisingCategories, isImagingCategory, tierRank, withdrawnReportStatuses } from './codes.ts';
import type { Category, DeclineCode, ReportStatus } from './codes.ts';
import type { CatalogueItem, Decision, DecisionFacts, GateReport, HospitalFacts, ResultFacts, RuleSet, Savings } from './types.ts';

export function decide(ruleSet: RuleSet, facts: DecisionFacts, now: Date): Decision {
  const advisories = advisoriesFor(facts);
  const gates: GateReport[] = [
    resultKindGate(facts),
    reportStatusGate(facts.result),
    itemMatchGate(facts),
    catalogueGate(facts),
    certificationGateReport(facts),
    tierDirectionGate(ruleSet, facts),
    validityGate(facts, now),
    // Advisories never make a result ineligible; they only permit a retest.
    { gate: 'advisories', passed: true, detail: advisories.length > 0 ? advisories.join(', ') : 'none' },
  ];
  const reasons = gates.flatMap((report) => (report.passed || report.code === undefined ? [] : [report.code]));
  const outcome = reasons.length === 0 ? 'RECOGNIZABLE' : 'NOT_RECOGNIZABLE';
  const decision: Decision = {
    outcome,
    retestPermitted: outcome === 'RECOGNIZABLE' && advisories.length > 0,
    reasons,
    advisories,
    gates,
    savings: savingsFor(facts.requestedItem, facts.receiver),
    ruleSetVersion: ruleSet.version,
  };
  const until = validUntil(facts.result, facts.requestedItem);
  if (until !== null) decision.validUntil = until;
  return decision;
}

/** The instant the result's clock starts: performedAt, or reportedAt when performedAt is unusable. */
export function referenceTime(result: Pick<ResultFacts, 'performedAt' | 'reportedAt'>): Date | null {
  if (isUsableDate(result.performedAt)) return result.performedAt;
  if (isUsableDate(result.reportedAt)) return result.reportedAt;
  return null;
}

/**
 * The last second (inclusive) in which the result is within the item's window: the window is counted
 * to the second, so a result performed at 02:00:00.900 is still valid at 02:00:00.950 thirty days on.
 * Returned as that second's start.
 */
export function validUntil(
  result: Pick<ResultFacts, 'performedAt' | 'reportedAt'>,
  item: Pick<CatalogueItem, 'validityDays'>,
): Date | null {
  const start = referenceTime(result);
  if (start === null) return null;
  const end = wholeSecond(start.getTime() + item.validityDays * DAY_MS);
  return Number.isFinite(end) ? new Date(end) : null;
}

export function imagesRetrievable(result: Pick<ResultFacts, 'imagesAvailable' | 'studyUid'>): boolean {
  if (result.imagesAvailable === true) return true;
  if (result.imagesAvailable === false) return false;
  return typeof result.studyUid === 'string' && result.studyUid.length > 0;
}

function resultKindGate({ result, resultItem }: DecisionFacts): GateReport {
  if (result.kind === 'conclusion') {
    return { gate: 'resultKind', passed: false, code: 'NR_NOT_A_RESULT', detail: 'diagnostic conclusion only' };
  }
  if (isImagingCategory(resultItem.category) && !imagesRetrievable(result)) {
    return { gate: 'resultKind', passed: false, code: 'NR_IMAGES_UNAVAILABLE', detail: 'images not retrievable' };
  }
  return { gate: 'resultKind', passed: true, detail: result.kind };
}

function reportStatusGate(result: ResultFacts): GateReport {
  const status: ReportStatus = result.status;
  if ((finalReportStatuses as readonly ReportStatus[]).includes(status)) {
    return { gate: 'reportStatus', passed: true, detail: status };
  }
  if ((withdrawnReportStatuses as readonly ReportStatus[]).includes(status)) {
    return { gate: 'reportStatus', passed: false, code: 'NR_REPORT_WITHDRAWN', detail: status };
  }
  return { gate: 'reportStatus', passed: false, code: 'NR_REPORT_NOT_FINAL', detail: String(status) };
}

/**
 * Whether a prior result stands for a requested item: the same item, or a lab result whose analytes
 * (as reported, else its item's) cover the requested lab item's analytes (docs/domain.md, Lab panels);
 * it is then judged under the requested item's catalogue entry. The one rule both for which results a
 * check considers and for the engine's item-match gate.
 */
export function itemMatch(
  requestedItem: Pick<CatalogueItem, 'code' | 'category' | 'analytes'>,
  result: Pick<ResultFacts, 'itemCode' | 'analyteCodes'>,
  resultItem: Pick<CatalogueItem, 'category' | 'analytes'>,
): { matches: boolean; detail: string } {
  if (result.itemCode === requestedItem.code) return { matches: true, detail: `same item ${requestedItem.code}` };
  const wanted = requestedItem.analytes ?? [];
  if (requestedItem.category === 'lab' && resultItem.category === 'lab' && wanted.length > 0) {
    const held = new Set(result.analyteCodes?.length ? result.analyteCodes : (resultItem.analytes ?? []));
    if (wanted.every((analyte) => held.has(analyte)))
      return { matches: true, detail: `analytes ${wanted.join(', ')} covered by ${result.itemCode}` };
  }
  return { matches: false, detail: `requested ${requestedItem.code}, result is ${result.itemCode}` };
}

function itemMatchGate({ requestedItem, result, resultItem }: DecisionFacts): GateReport {
  const { matches, detail } = itemMatch(requestedItem, result, resultItem);
  return matches ? { gate: 'itemMatch', passed: true, detail } : { gate: 'itemMatch', passed: false, code: 'NR_ITEM_MISMATCH', detail };
}

function catalogueGate({ requestedItem, scopes }: DecisionFacts): GateReport {
  if (!scopes.some((scope) => scopeHoldsItem(scope, requestedItem.code))) {
    return { gate: 'catalogue', passed: false, code: 'NR_NOT_IN_CATALOG', detail: 'on no scope item list' };
  }
  if (requestedItem.negativeList) {
    return { gate: 'catalogue', passed: false, code: 'NR_NEGATIVE_LIST', detail: 'negative list' };
  }
  if (requestedItem.category === 'pathology') {
    return { gate: 'catalogue', passed: false, code: 'NR_CONSULT_REQUIRED', detail: 'pathology' };
  }
  return { gate: 'catalogue', passed: true, detail: 'in catalogue' };
}

function certificationGateReport(facts: DecisionFacts): GateReport {
  // The receiver's own earlier result (a duplicate-order alert) is judged like any other: a
  // hospital suspended or revoked for its quality cannot log savings on its own results either.
  const performedAt = referenceTime(facts.result) ?? new Date(Number.NaN);
  const verdict = certificationGate(
    {
      item: facts.requestedItem,
      issuer: facts.issuer,
      receiver: facts.receiver,
      scopes: facts.scopes,
      certifications: facts.certifications,
    },
    performedAt,
  );
  return verdict.code === undefined
    ? { gate: 'certification', passed: verdict.passed, detail: verdict.detail }
    : { gate: 'certification', passed: verdict.passed, code: verdict.code, detail: verdict.detail };
}

function tierDirectionGate(ruleSet: RuleSet, facts: DecisionFacts): GateReport {
  if (ruleSet.tierDirection !== 'downward-only-outside-city') {
    return { gate: 'tierDirection', passed: true, detail: 'symmetric' };
  }
  const { issuer, receiver } = facts;
  const upward = tierRank[receiver.tier] > tierRank[issuer.tier];
  if (upward && !sameCity(issuer, receiver)) {
    return {
      gate: 'tierDirection',
      passed: false,
      code: 'NR_TIER_DIRECTION',
      detail: `${receiver.tier} receiver, ${issuer.tier} issuer in another city`,
    };
  }
  return { gate: 'tierDirection', passed: true, detail: upward ? 'upward within the city' : 'downward or same tier' };
}

function validityGate({ result, requestedItem }: DecisionFacts, now: Date): GateReport {
  const until = validUntil(result, requestedItem);
  if (until === null) {
    return { gate: 'validity', passed: false, code: 'NR_EXPIRED', detail: 'no usable performedAt' };
  }
  const window = `${requestedItem.validityDays}-day window ending ${until.toISOString()}`;
  // Inclusive, to the second: a result is still valid in the second of performedAt + validityDays.
  if (wholeSecond(now.getTime()) <= until.getTime()) return { gate: 'validity', passed: true, detail: `within ${window}` };
  return { gate: 'validity', passed: false, code: 'NR_EXPIRED', detail: `outside ${window}` };
}

/** Clinical advisories in decline-code order, each at most once. */
export function advisoriesFor({ context, result, resultItem }: DecisionFacts): DeclineCode[] {
  const c = context ?? {};
  const raised = new Set<DeclineCode>();
  if (c.conditionChanged) raised.add('D1_CONDITION_CHANGED');
  if (c.rapidChange) raised.add('D2_RAPID_CHANGE');
  if (c.preSurgery || c.preTransfusion) raised.add('D3_MAJOR_INTERVENTION');
  if (c.emergency) raised.add('D4_EMERGENCY');
  if (c.forensic) raised.add('D5_FORENSIC');
  if (c.patientRequest) raised.add('D7_PATIENT_REQUEST');
  if (c.needsThinSlice && isImagingCategory(resultItem.category)) raised.add('D9_EQUIPMENT_QUALITY');
  if (result.criticalOpen) raised.add('D10_CRITICAL_FOLLOWUP');
  return declineCodes.filter((code) => raised.has(code));
}

/**
 * What recognising would save: the requested item's price at the receiver's price tier (else its
 * lowest listed price, else 0), its minutes, and its typical dose for ionising categories.
 */
export function savingsFor(item: CatalogueItem, receiver: Pick<HospitalFacts, 'priceTier'>): Savings {
  const dose = (ionisingCategories as readonly Category[]).includes(item.category) ? (item.radiationMsv ?? 0) : 0;
  return {
    yuan: roundTo(priceFor(item, receiver.priceTier), 2),
    minutes: item.minutesSaved,
    radiationMsv: roundTo(dose, 3),
  };
}

export function priceFor(item: Pick<CatalogueItem, 'prices'>, priceTier: string | null): number {
  const prices = item.prices ?? {};
  if (priceTier !== null && Object.hasOwn(prices, priceTier) && Number.isFinite(prices[priceTier])) {
    return prices[priceTier];
  }
  const listed = Object.values(prices).filter((price) => Number.isFinite(price));
  return listed.length > 0 ? Math.min(...listed) : 0;
}

/** Rounds half away from zero, tolerant of binary noise (1.005 → 1.01). */
export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(Number((value * factor).toPrecision(12))) / factor;
}

// City names repeat across provinces in romanisation, so a city is identified with its province.
function sameCity(a: HospitalFacts, b: HospitalFacts): boolean {
  return a.city === b.city && a.province === b.province;
}

function isUsableDate(value: Date | null | undefined): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

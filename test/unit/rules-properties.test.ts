import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusAt } from '../../src/modules/rules/certification.ts';
import {
  categories,
  certificationStatuses,
  declineCodes,
  finalReportStatuses,
  gateNames,
  reportStatuses,
  tierPolicies,
  tiers,
  withdrawnReportStatuses,
} from '../../src/modules/rules/codes.ts';
import { decide } from '../../src/modules/rules/engine.ts';
import { explain } from '../../src/modules/rules/explain.ts';
import type { CertificationEvent, DecisionFacts, RuleSet } from '../../src/modules/rules/types.ts';
import { DAY_MS, PERFORMED_AT, certEvent, daysAfter, items, makeFacts, ruleSet, scope } from './rules-fixtures.ts';

const allScopes = [
  scope({ id: 'S-CONS', level: 'consortium', region: null, members: ['H-ISSUER', 'H-RECEIVER'] }),
  scope({ id: 'S-HZ', level: 'city', region: 'Hangzhou' }),
  scope({ id: 'S-ZJ', level: 'province', region: 'Zhejiang' }),
  scope({ id: 'S-YRD', level: 'alliance', region: null, members: ['H-ISSUER', 'H-SH'], items: ['CT-CHEST', 'LAB-ALT'] }),
  scope({ id: 'S-CN', level: 'national', region: null, items: ['CT-CHEST'] }),
];

const eventArb: fc.Arbitrary<CertificationEvent> = fc
  .record({
    scopeId: fc.constantFrom(...allScopes.map((s) => s.id)),
    itemCode: fc.constantFrom(null, 'CT-CHEST', 'LAB-ALT', 'LAB-LFT'),
    category: fc.constantFrom(null, ...categories),
    status: fc.constantFrom(...certificationStatuses),
    effectiveDay: fc.integer({ min: -400, max: 40 }),
    recordedDay: fc.integer({ min: 0, max: 60 }),
  })
  .map(({ effectiveDay, recordedDay, ...rest }) =>
    certEvent({
      ...rest,
      effectiveFrom: daysAfter(PERFORMED_AT, effectiveDay),
      recordedAt: daysAfter(PERFORMED_AT, effectiveDay + recordedDay),
    }),
  );

const itemArb = fc.constantFrom(...Object.values(items));
const flag = fc.boolean();
// Mostly valid values, so that a fair share of the generated cases is recognisable.
const mostly = <T, U>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: usual, weight: 5 }, { arbitrary: rare, weight: 1 });
const baseCertification = certEvent({ scopeId: 'S-ZJ' });
const provinceScope = allScopes[2];

const factsArb: fc.Arbitrary<DecisionFacts> = fc
  .record({
    requestedItem: itemArb,
    resultItem: mostly(fc.constant(undefined), itemArb),
    kind: mostly(fc.constantFrom('data', 'images' as const), fc.constant('conclusion' as const)),
    status: mostly(fc.constantFrom(...finalReportStatuses), fc.constantFrom(...reportStatuses)),
    imagesAvailable: mostly(fc.constantFrom(true, null), fc.constant(false)),
    studyUid: mostly(fc.constant('1.2.3'), fc.constant(null)),
    criticalOpen: mostly(fc.constant(false), fc.constant(true)),
    analyteCodes: fc.subarray(['ALT', 'AST', 'TBIL', 'ALB', 'TNI']),
    issuerTier: fc.constantFrom(...tiers),
    receiverTier: fc.constantFrom(...tiers),
    receiverPlace: mostly(fc.constant(['Zhejiang', 'Hangzhou']), fc.constantFrom(['Zhejiang', 'Ningbo'], ['Shanghai', 'Shanghai'])),
    receiverId: mostly(fc.constant('H-RECEIVER'), fc.constantFrom('H-SH', 'H-ISSUER')),
    priceTier: fc.constantFrom('A', 'B', 'Z', null),
    scopes: mostly(
      fc.subarray(allScopes).map((s) => [provinceScope, ...s.filter((x) => x !== provinceScope)]),
      fc.subarray(allScopes),
    ),
    certifications: mostly(
      fc.array(eventArb, { maxLength: 3 }).map((e) => [baseCertification, ...e]),
      fc.array(eventArb, { maxLength: 6 }),
    ),
    context: fc.oneof(
      fc.constant({}),
      fc.record(
        {
          emergency: flag,
          preSurgery: flag,
          preTransfusion: flag,
          conditionChanged: flag,
          rapidChange: flag,
          forensic: flag,
          patientRequest: flag,
          needsThinSlice: flag,
        },
        { requiredKeys: [] },
      ),
    ),
  })
  .map((g) =>
    makeFacts({
      requestedItem: g.requestedItem,
      resultItem: g.resultItem ?? g.requestedItem,
      result: {
        kind: g.kind,
        status: g.status,
        imagesAvailable: g.imagesAvailable,
        studyUid: g.studyUid,
        criticalOpen: g.criticalOpen,
        analyteCodes: g.analyteCodes,
      },
      issuer: { tier: g.issuerTier },
      receiver: { id: g.receiverId, tier: g.receiverTier, province: g.receiverPlace[0], city: g.receiverPlace[1], priceTier: g.priceTier },
      scopes: g.scopes,
      certifications: g.certifications,
      context: g.context,
    }),
  );

const rulesArb: fc.Arbitrary<RuleSet> = fc.constantFrom(...tierPolicies).map((tierDirection) => ruleSet({ tierDirection }));
const nowArb = mostly(fc.integer({ min: -DAY_MS, max: 7 * DAY_MS }), fc.integer({ min: -DAY_MS, max: 400 * DAY_MS })).map(
  (ms) => new Date(PERFORMED_AT.getTime() + ms),
);

const windowEnd = (facts: DecisionFacts) => facts.result.performedAt.getTime() + facts.requestedItem.validityDays * DAY_MS;
const withoutAdvisories = (facts: DecisionFacts): DecisionFacts => ({
  ...facts,
  context: {},
  result: { ...facts.result, criticalOpen: false },
});

describe('decide: properties', () => {
  it('never recognises a result after the second its window ends in', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, fc.integer({ min: 0, max: 1000 * DAY_MS }), (rules, facts, late) => {
        const decision = decide(rules, facts, new Date(Math.floor(windowEnd(facts) / 1000) * 1000 + 1000 + late));
        expect(decision.outcome).toBe('NOT_RECOGNIZABLE');
        expect(decision.reasons).toContain('NR_EXPIRED');
      }),
    );
  });

  it('never recognises a withdrawn report', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, fc.constantFrom(...withdrawnReportStatuses), (rules, facts, now, status) => {
        const decision = decide(rules, { ...facts, result: { ...facts.result, status } }, now);
        expect(decision.outcome).toBe('NOT_RECOGNIZABLE');
        expect(decision.reasons).toContain('NR_REPORT_WITHDRAWN');
      }),
    );
  });

  it('reports every gate in order; reasons are the failing gates in order, reasons[0] the first', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const decision = decide(rules, facts, now);
        expect(decision.gates.map((g) => g.gate)).toEqual([...gateNames]);
        const failing = decision.gates.filter((g) => !g.passed);
        expect(failing.every((g) => g.code !== undefined)).toBe(true);
        expect(decision.reasons).toEqual(failing.map((g) => g.code));
        expect(decision.reasons[0]).toBe(failing[0]?.code);
        expect(decision.outcome === 'RECOGNIZABLE').toBe(decision.reasons.length === 0);
      }),
    );
  });

  it('never lets advisories change the outcome or the reasons', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const plain = decide(rules, withoutAdvisories(facts), now);
        const advised = decide(rules, facts, now);
        expect(advised.outcome).toBe(plain.outcome);
        expect(advised.reasons).toEqual(plain.reasons);
        expect(plain.advisories).toEqual([]);
        expect(advised.retestPermitted).toBe(advised.outcome === 'RECOGNIZABLE' && advised.advisories.length > 0);
      }),
    );
  });

  it('lists advisories once each, in decline-code order', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const { advisories } = decide(rules, facts, now);
        expect(advisories).toEqual(declineCodes.filter((code) => advisories.includes(code)));
      }),
    );
  });

  it('is deterministic and leaves its facts untouched', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const snapshot = structuredClone(facts);
        expect(decide(rules, facts, now)).toEqual(decide(rules, structuredClone(facts), new Date(now.getTime())));
        expect(facts).toEqual(snapshot);
      }),
    );
  });

  it('depends on now only through the validity gate', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, nowArb, (rules, facts, a, b) => {
        const drop = (codes: string[]) => codes.filter((code) => code !== 'NR_EXPIRED');
        expect(drop(decide(rules, facts, a).reasons)).toEqual(drop(decide(rules, facts, b).reasons));
      }),
    );
  });

  it('never blocks on tier direction under the symmetric policy, nor for own results', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        expect(decide(ruleSet({ tierDirection: 'symmetric' }), facts, now).reasons).not.toContain('NR_TIER_DIRECTION');
        const own = { ...facts, receiver: { ...facts.issuer } };
        const { reasons } = decide(ruleSet({ tierDirection: 'downward-only-outside-city' }), own, now);
        expect(reasons).not.toContain('NR_TIER_DIRECTION');
      }),
    );
  });

  it('reports non-negative, rounded savings', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const { yuan, minutes, radiationMsv } = decide(rules, facts, now).savings;
        expect(yuan).toBeGreaterThanOrEqual(0);
        expect(Math.round(yuan * 100) / 100).toBe(yuan);
        expect(Math.round(radiationMsv * 1000) / 1000).toBe(radiationMsv);
        expect(minutes).toBe(facts.requestedItem.minutesSaved);
      }),
    );
  });

  it('explains every decision in both locales', () => {
    fc.assert(
      fc.property(rulesArb, factsArb, nowArb, (rules, facts, now) => {
        const decision = decide(rules, facts, now);
        const recognisable = decision.outcome === 'RECOGNIZABLE';
        expect(explain(decision, facts, 'en')).toMatch(recognisable ? /^Recognisable/ : /^Not recognisable: /);
        expect(explain(decision, facts, 'zh')).toMatch(recognisable ? /^可予互认/ : /^不予互认：/);
      }),
    );
  });
});

describe('statusAt: properties', () => {
  const permutedEventsArb = fc
    .array(eventArb, { maxLength: 8 })
    .chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })));

  it('does not depend on the order of the events', () => {
    fc.assert(
      fc.property(permutedEventsArb, fc.integer({ min: -400, max: 60 }), ([events, shuffled], day) => {
        expect(statusAt(shuffled, daysAfter(PERFORMED_AT, day))).toBe(statusAt(events, daysAfter(PERFORMED_AT, day)));
      }),
    );
  });

  it('is decided by the events in force at t only', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 8 }), fc.integer({ min: -400, max: 60 }), (events, day) => {
        const t = daysAfter(PERFORMED_AT, day);
        const inForce = events.filter((e) => e.effectiveFrom.getTime() <= t.getTime());
        expect(statusAt(events, t)).toBe(statusAt(inForce, t));
        if (inForce.length === 0) expect(statusAt(events, t)).toBeNull();
      }),
    );
  });
});

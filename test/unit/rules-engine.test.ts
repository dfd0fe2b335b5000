import { describe, expect, it } from 'vitest';
import { gateNames, reportStatuses } from '../../src/modules/rules/codes.ts';
import type { ReasonCode, ReportStatus } from '../../src/modules/rules/codes.ts';
import { decide } from '../../src/modules/rules/engine.ts';
import type { CheckContext, DecisionFacts, RuleSet } from '../../src/modules/rules/types.ts';
import { DAY_MS, NOW, PERFORMED_AT, SECOND_MS, certEvent, daysAfter, item, items, makeFacts, ruleSet, scope } from './rules-fixtures.ts';

const judge = (facts: DecisionFacts, now = NOW, rules: RuleSet = ruleSet()) => decide(rules, facts, now);
const gate = (facts: DecisionFacts, name: string, now = NOW) => judge(facts, now).gates.find((g) => g.gate === name);

describe('decide: the baseline', () => {
  it('recognises a final, certified, in-window result and reports every gate in order', () => {
    const decision = judge(makeFacts());
    expect(decision.outcome).toBe('RECOGNIZABLE');
    expect(decision.reasons).toEqual([]);
    expect(decision.advisories).toEqual([]);
    expect(decision.retestPermitted).toBe(false);
    expect(decision.gates.map((g) => g.gate)).toEqual([...gateNames]);
    expect(decision.gates.every((g) => g.passed)).toBe(true);
    expect(decision.savings).toEqual({ yuan: 300, minutes: 60, radiationMsv: 7 });
    expect(decision.ruleSetVersion).toBe(1);
    expect(decision.validUntil).toEqual(daysAfter(PERFORMED_AT, 30));
  });

  it('lists one code per failing gate in gate order', () => {
    const facts = makeFacts({ result: { kind: 'conclusion', status: 'preliminary' }, scopes: [scope({ items: [] })] });
    const decision = judge(facts, daysAfter(PERFORMED_AT, 31));
    expect(decision.outcome).toBe('NOT_RECOGNIZABLE');
    expect(decision.reasons).toEqual([
      'NR_NOT_A_RESULT',
      'NR_REPORT_NOT_FINAL',
      'NR_NOT_IN_CATALOG',
      'NR_ISSUER_NOT_CERTIFIED',
      'NR_EXPIRED',
    ]);
    expect(decision.gates).toHaveLength(gateNames.length);
  });
});

describe('gate: result kind', () => {
  it('refuses a bare diagnostic conclusion', () => {
    expect(judge(makeFacts({ result: { kind: 'conclusion' } })).reasons).toEqual(['NR_NOT_A_RESULT']);
  });

  it.each([items.ctChest, items.mriBrain, items.xrayChest, items.usAbdomen, items.petCt])(
    'refuses $category imaging whose images cannot be retrieved',
    (imaging) => {
      const facts = makeFacts({ requestedItem: imaging, result: { imagesAvailable: false } });
      expect(judge(facts).reasons).toEqual(['NR_IMAGES_UNAVAILABLE']);
    },
  );

  it.each([
    { imagesAvailable: true, studyUid: null, retrievable: true },
    { imagesAvailable: null, studyUid: '1.2.3', retrievable: true },
    { imagesAvailable: null, studyUid: null, retrievable: false },
    { imagesAvailable: null, studyUid: '', retrievable: false },
    { imagesAvailable: false, studyUid: '1.2.3', retrievable: false },
  ])('images available=$imagesAvailable uid=$studyUid → retrievable $retrievable', ({ imagesAvailable, studyUid, retrievable }) => {
    const report = gate(makeFacts({ result: { imagesAvailable, studyUid } }), 'resultKind');
    expect(report?.passed).toBe(retrievable);
  });

  it('does not ask for images from ECG or lab results', () => {
    for (const nonImaging of [items.ecg, items.liverPanel]) {
      const facts = makeFacts({ requestedItem: nonImaging, result: { imagesAvailable: false, studyUid: null } });
      expect(gate(facts, 'resultKind')?.passed).toBe(true);
    }
  });
});

describe('gate: report status', () => {
  const expected: Record<ReportStatus, ReasonCode | null> = {
    registered: 'NR_REPORT_NOT_FINAL',
    partial: 'NR_REPORT_NOT_FINAL',
    preliminary: 'NR_REPORT_NOT_FINAL',
    final: null,
    amended: null,
    corrected: null,
    appended: null,
    cancelled: 'NR_REPORT_WITHDRAWN',
    'entered-in-error': 'NR_REPORT_WITHDRAWN',
  };
  it.each(reportStatuses.map((status) => [status, expected[status]] as const))('%s → %s', (status, code) => {
    expect(judge(makeFacts({ result: { status } })).reasons).toEqual(code === null ? [] : [code]);
  });
});

describe('gate: item match', () => {
  it('refuses a different item of the same category', () => {
    const facts = makeFacts({ requestedItem: items.ctChest, resultItem: item({ code: 'CT-HEAD', name: 'CT head' }) });
    expect(judge(facts).reasons).toEqual(['NR_ITEM_MISMATCH']);
  });

  it('accepts a lab panel whose reported analytes cover the requested analytes', () => {
    const facts = makeFacts({ requestedItem: items.alt, resultItem: items.liverPanel, result: { analyteCodes: ['ALT', 'AST'] } });
    const decision = judge(facts);
    expect(decision.outcome).toBe('RECOGNIZABLE');
    expect(decision.gates[2].detail).toContain('LAB-LFT');
  });

  it("falls back to the panel's catalogue analytes when the result lists none", () => {
    const facts = makeFacts({ requestedItem: items.alt, resultItem: items.liverPanel, result: { analyteCodes: [] } });
    expect(judge(facts).outcome).toBe('RECOGNIZABLE');
  });

  it('refuses a panel whose reported analytes miss a requested one', () => {
    const twoAnalytes = item({ ...items.alt, code: 'LAB-ALT-AST', analytes: ['ALT', 'GGT'] });
    const facts = makeFacts({ requestedItem: twoAnalytes, resultItem: items.liverPanel, result: { analyteCodes: ['ALT', 'AST'] } });
    expect(judge(facts).reasons).toEqual(['NR_ITEM_MISMATCH']);
  });

  it('trusts the analytes the result reports over the catalogue panel', () => {
    const facts = makeFacts({ requestedItem: items.alt, resultItem: items.liverPanel, result: { analyteCodes: ['AST', 'TBIL'] } });
    expect(judge(facts).reasons).toEqual(['NR_ITEM_MISMATCH']);
  });

  it('matches analytes only for lab requests with analytes', () => {
    const noAnalytes = item({ ...items.alt, code: 'LAB-X', analytes: [] });
    const facts = makeFacts({ requestedItem: noAnalytes, resultItem: items.liverPanel, result: { analyteCodes: ['ALT'] } });
    expect(judge(facts).reasons).toEqual(['NR_ITEM_MISMATCH']);
  });

  it("judges a panel match under the requested item's window, certification and price", () => {
    const base = { requestedItem: items.alt, resultItem: items.liverPanel, result: { analyteCodes: ['ALT'] } };
    // The panel's 30-day window would still hold; ALT's 7 days do not.
    expect(judge(makeFacts(base), daysAfter(PERFORMED_AT, 10)).reasons).toEqual(['NR_EXPIRED']);
    expect(judge(makeFacts(base)).savings).toEqual({ yuan: 12, minutes: 30, radiationMsv: 0 });
    const certifiedForPanelOnly = makeFacts({ ...base, certifications: [certEvent({ itemCode: 'LAB-LFT' })] });
    expect(judge(certifiedForPanelOnly).reasons).toEqual(['NR_ISSUER_NOT_CERTIFIED']);
  });
});

describe('gate: catalogue', () => {
  it('refuses an item on no scope list', () => {
    const facts = makeFacts({ scopes: [scope({ items: ['MRI-BRAIN'] })] });
    expect(judge(facts).reasons[0]).toBe('NR_NOT_IN_CATALOG');
  });

  it('refuses a negative-list item', () => {
    const facts = makeFacts({ requestedItem: items.troponin });
    expect(judge(facts).reasons).toEqual(['NR_NEGATIVE_LIST']);
  });

  it('refers pathology to a consultation', () => {
    expect(judge(makeFacts({ requestedItem: items.biopsy })).reasons).toEqual(['NR_CONSULT_REQUIRED']);
  });

  it('gives the most specific single code, not-in-catalogue first', () => {
    const negativePathology = item({ ...items.biopsy, negativeList: true });
    expect(gate(makeFacts({ requestedItem: negativePathology }), 'catalogue')?.code).toBe('NR_NEGATIVE_LIST');
    const facts = makeFacts({ requestedItem: negativePathology, scopes: [scope({ items: [] })] });
    expect(gate(facts, 'catalogue')?.code).toBe('NR_NOT_IN_CATALOG');
  });
});

describe('gate: tier direction', () => {
  const downward = ruleSet({ tierDirection: 'downward-only-outside-city' });
  const ningbo = { city: 'Ningbo' };
  const cases = [
    { name: 'upward from another city', issuer: { tier: 'primary' }, receiver: { tier: 'tertiary', ...ningbo }, code: 'NR_TIER_DIRECTION' },
    {
      name: 'upward (secondary) from another city',
      issuer: { tier: 'secondary' },
      receiver: { tier: 'tertiary', ...ningbo },
      code: 'NR_TIER_DIRECTION',
    },
    { name: 'upward within the city', issuer: { tier: 'primary' }, receiver: { tier: 'tertiary' }, code: null },
    { name: 'same tier from another city', issuer: { tier: 'tertiary' }, receiver: { tier: 'tertiary', ...ningbo }, code: null },
    { name: 'downward from another city', issuer: { tier: 'tertiary' }, receiver: { tier: 'primary', ...ningbo }, code: null },
    {
      name: 'upward from a same-named city of another province',
      issuer: { tier: 'primary', province: 'Jiangsu' },
      receiver: { tier: 'tertiary' },
      code: 'NR_TIER_DIRECTION',
    },
  ] as const;

  it.each(cases)('downward-only-outside-city: $name', ({ issuer, receiver, code }) => {
    const facts = makeFacts({ issuer, receiver, scopes: [scope({ level: 'national', region: null })] });
    expect(judge(facts, NOW, downward).reasons).toEqual(code === null ? [] : [code]);
  });

  it.each(cases)('symmetric: $name is allowed', ({ issuer, receiver }) => {
    const facts = makeFacts({ issuer, receiver, scopes: [scope({ level: 'national', region: null })] });
    expect(judge(facts, NOW, ruleSet({ tierDirection: 'symmetric' })).reasons).toEqual([]);
  });
});

describe('gate: validity window', () => {
  const end = daysAfter(PERFORMED_AT, 30);

  it('is recognisable at exactly performedAt + validityDays', () => {
    expect(judge(makeFacts(), end).outcome).toBe('RECOGNIZABLE');
  });

  it('counts the window to the second: valid through its last second, expired from the next', () => {
    expect(judge(makeFacts(), new Date(end.getTime() + 999)).outcome).toBe('RECOGNIZABLE');
    expect(judge(makeFacts(), new Date(end.getTime() + SECOND_MS)).reasons).toEqual(['NR_EXPIRED']);
    // Performed at .900 of a second: at .950 of that second thirty days on, the result is in its last second still.
    const fractional = makeFacts({ result: { performedAt: new Date(PERFORMED_AT.getTime() + 900) } });
    expect(judge(fractional, new Date(end.getTime() + 950)).outcome).toBe('RECOGNIZABLE');
    expect(judge(fractional).validUntil).toEqual(end);
    expect(judge(fractional, new Date(end.getTime() + SECOND_MS)).reasons).toEqual(['NR_EXPIRED']);
  });

  it('uses each item its own window (ultrasound 7 days)', () => {
    const facts = makeFacts({ requestedItem: items.usAbdomen });
    expect(judge(facts, daysAfter(PERFORMED_AT, 7)).outcome).toBe('RECOGNIZABLE');
    expect(judge(facts, new Date(daysAfter(PERFORMED_AT, 7).getTime() + SECOND_MS)).reasons).toEqual(['NR_EXPIRED']);
  });

  it('falls back to reportedAt when performedAt is unusable, and expires without either', () => {
    const reportedAt = daysAfter(PERFORMED_AT, 2);
    const fallback = makeFacts({ result: { performedAt: new Date(Number.NaN), reportedAt } });
    expect(judge(fallback, daysAfter(PERFORMED_AT, 32)).outcome).toBe('RECOGNIZABLE');
    expect(judge(fallback, new Date(daysAfter(PERFORMED_AT, 32).getTime() + SECOND_MS)).reasons).toEqual(['NR_EXPIRED']);
    const none = makeFacts({ result: { performedAt: new Date(Number.NaN), reportedAt: null } });
    expect(judge(none).reasons).toContain('NR_EXPIRED');
    expect(judge(none).validUntil).toBeUndefined();
  });
});

describe('gate: advisories', () => {
  const cases: Array<[CheckContext, string]> = [
    [{ conditionChanged: true }, 'D1_CONDITION_CHANGED'],
    [{ rapidChange: true }, 'D2_RAPID_CHANGE'],
    [{ preSurgery: true }, 'D3_MAJOR_INTERVENTION'],
    [{ preTransfusion: true }, 'D3_MAJOR_INTERVENTION'],
    [{ emergency: true }, 'D4_EMERGENCY'],
    [{ forensic: true }, 'D5_FORENSIC'],
    [{ patientRequest: true }, 'D7_PATIENT_REQUEST'],
    [{ needsThinSlice: true }, 'D9_EQUIPMENT_QUALITY'],
  ];

  it.each(cases)('%o permits a retest with %s', (context, code) => {
    const decision = judge(makeFacts({ context }));
    expect(decision).toMatchObject({ outcome: 'RECOGNIZABLE', retestPermitted: true, advisories: [code], reasons: [] });
  });

  it('flags an open critical value on the result', () => {
    const decision = judge(makeFacts({ result: { criticalOpen: true } }));
    expect(decision.advisories).toEqual(['D10_CRITICAL_FOLLOWUP']);
    expect(decision.retestPermitted).toBe(true);
  });

  it('lists advisories in code order without duplicates', () => {
    const context = { needsThinSlice: true, emergency: true, preSurgery: true, preTransfusion: true, conditionChanged: true };
    const decision = judge(makeFacts({ context, result: { criticalOpen: true } }));
    expect(decision.advisories).toEqual([
      'D1_CONDITION_CHANGED',
      'D3_MAJOR_INTERVENTION',
      'D4_EMERGENCY',
      'D9_EQUIPMENT_QUALITY',
      'D10_CRITICAL_FOLLOWUP',
    ]);
    expect(decision.gates.at(-1)).toMatchObject({ gate: 'advisories', passed: true });
  });

  it('asks for thin slices only on imaging', () => {
    const facts = makeFacts({ requestedItem: items.ecg, context: { needsThinSlice: true } });
    expect(judge(facts).advisories).toEqual([]);
  });

  it('does not permit a retest of what is not recognisable anyway', () => {
    const decision = judge(makeFacts({ context: { emergency: true } }), daysAfter(PERFORMED_AT, 60));
    expect(decision).toMatchObject({ outcome: 'NOT_RECOGNIZABLE', retestPermitted: false, advisories: ['D4_EMERGENCY'] });
  });
});

describe("the receiver's own earlier results", () => {
  const own = { issuer: { id: 'H-SELF', tier: 'tertiary' as const }, receiver: { id: 'H-SELF', tier: 'tertiary' as const } };

  it('pass every gate like any other result when the hospital is certified (a duplicate-order alert)', () => {
    const decision = judge(makeFacts(own), NOW, ruleSet({ tierDirection: 'downward-only-outside-city' }));
    expect(decision.outcome).toBe('RECOGNIZABLE');
    expect(decision.gates[5]).toMatchObject({ gate: 'tierDirection', passed: true });
  });

  it('need the hospital’s own certification: an uncertified or revoked hospital cannot log savings on them', () => {
    expect(judge(makeFacts({ ...own, certifications: [] })).reasons).toEqual(['NR_ISSUER_NOT_CERTIFIED']);
  });

  it('still need the other gates', () => {
    const facts = makeFacts({ ...own, result: { status: 'cancelled' } });
    expect(judge(facts, daysAfter(PERFORMED_AT, 31)).reasons).toEqual(['NR_REPORT_WITHDRAWN', 'NR_EXPIRED']);
  });
});

describe('savings', () => {
  it("prices at the receiver's price tier", () => {
    expect(judge(makeFacts({ receiver: { priceTier: 'B' } })).savings.yuan).toBe(260);
  });

  it('falls back to the lowest listed price for an unknown or missing tier, and to 0 without prices', () => {
    const priced = item({ prices: { A: 300, B: 260, C: 280 } });
    expect(judge(makeFacts({ requestedItem: priced, receiver: { priceTier: 'Z' } })).savings.yuan).toBe(260);
    expect(judge(makeFacts({ requestedItem: priced, receiver: { priceTier: null } })).savings.yuan).toBe(260);
    expect(judge(makeFacts({ requestedItem: item({ prices: {} }) })).savings.yuan).toBe(0);
  });

  it('rounds yuan to 2 decimals and mSv to 3', () => {
    const facts = makeFacts({ requestedItem: item({ prices: { A: 1.005 }, radiationMsv: 2.00049 }) });
    expect(judge(facts).savings).toEqual({ yuan: 1.01, minutes: 60, radiationMsv: 2 });
    expect(judge(makeFacts({ requestedItem: items.petCt })).savings.radiationMsv).toBe(14.123);
  });

  it('counts radiation only for X-ray, CT and nuclear medicine', () => {
    expect(judge(makeFacts({ requestedItem: items.xrayChest })).savings.radiationMsv).toBe(0.1);
    expect(judge(makeFacts({ requestedItem: item({ ...items.mriBrain, radiationMsv: 1 }) })).savings.radiationMsv).toBe(0);
    expect(judge(makeFacts({ requestedItem: item({ ...items.usAbdomen, radiationMsv: 1 }) })).savings.radiationMsv).toBe(0);
    expect(judge(makeFacts({ requestedItem: item({ radiationMsv: null }) })).savings.radiationMsv).toBe(0);
  });

  it('reports the potential savings even when not recognisable', () => {
    const decision = judge(makeFacts(), new Date(NOW.getTime() + 40 * DAY_MS));
    expect(decision.outcome).toBe('NOT_RECOGNIZABLE');
    expect(decision.savings).toEqual({ yuan: 300, minutes: 60, radiationMsv: 7 });
  });
});

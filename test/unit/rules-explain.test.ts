import { describe, expect, it } from 'vitest';
import { declineCodes, declineMeanings, reasonCodes, reasonMeanings } from '../../src/modules/rules/codes.ts';
import type { ReasonCode } from '../../src/modules/rules/codes.ts';
import { decide } from '../../src/modules/rules/engine.ts';
import { explain } from '../../src/modules/rules/explain.ts';
import { shanghaiDate } from '../../src/calendar.ts';
import type { Decision } from '../../src/modules/rules/types.ts';
import { NOW, PERFORMED_AT, at, daysAfter, items, makeFacts, ruleSet } from './rules-fixtures.ts';

const facts = makeFacts({ issuer: { name: 'Hospital X' } });
const notRecognisable = (reasons: ReasonCode[]): Decision => ({ ...decide(ruleSet(), facts, NOW), outcome: 'NOT_RECOGNIZABLE', reasons });

describe('codes', () => {
  it('gives every reason and decline code a meaning in English and Chinese', () => {
    for (const code of reasonCodes) {
      expect(reasonMeanings[code].en).toMatch(/\.$/);
      expect(reasonMeanings[code].zh).toMatch(/。$/);
    }
    for (const code of declineCodes) {
      expect(declineMeanings[code].en).toMatch(/\.$/);
      expect(declineMeanings[code].zh).toMatch(/。$/);
    }
    expect(Object.keys(reasonMeanings)).toEqual([...reasonCodes]);
    expect(Object.keys(declineMeanings)).toEqual([...declineCodes]);
  });
});

describe('explain', () => {
  it('says why a result is recognisable', () => {
    const decision = decide(ruleSet(), facts, NOW);
    expect(explain(decision, facts, 'en')).toBe('Recognisable: CT chest from Hospital X performed 2026-11-20 is within its 30-day window.');
    expect(explain(decision, facts, 'zh')).toBe('可予互认：Hospital X于2026-11-20完成的CT chest在30天有效期内。');
  });

  it('names the advisories behind a permitted retest', () => {
    const advised = makeFacts({ issuer: { name: 'Hospital X' }, context: { emergency: true }, result: { criticalOpen: true } });
    const decision = decide(ruleSet(), advised, NOW);
    expect(explain(decision, advised, 'en')).toMatch(/^Recognisable, retest permitted \(emergency; open critical value\): CT chest/);
    expect(explain(decision, advised, 'zh')).toMatch(/^可予互认，允许复查（急诊；危急值未闭环）：/);
  });

  it('gives the deciding reason and counts the others', () => {
    const decision = decide(
      ruleSet(),
      makeFacts({ issuer: { name: 'Hospital X' }, result: { status: 'preliminary' } }),
      daysAfter(PERFORMED_AT, 31),
    );
    expect(explain(decision, facts, 'en')).toBe(
      'Not recognisable: CT chest from Hospital X performed 2026-11-20 has no final report yet (and 1 more reason).',
    );
    expect(explain(notRecognisable(['NR_EXPIRED']), facts, 'zh')).toBe('不予互认：Hospital X于2026-11-20完成的CT chest已超过30天有效期。');
  });

  it('has a sentence for every reason code in both locales', () => {
    for (const code of reasonCodes) {
      const decision = notRecognisable([code]);
      expect(explain(decision, facts, 'en')).toMatch(/^Not recognisable: CT chest from Hospital X performed 2026-11-20 \w.+\.$/);
      expect(explain(decision, facts, 'zh')).toMatch(/^不予互认：Hospital X于2026-11-20完成的CT chest.+。$/);
    }
  });

  it('works from a stored summary, for own results and for lab panels', () => {
    const decision = decide(ruleSet(), facts, NOW);
    const summary = { itemName: 'Chest CT', issuerName: 'Y', performedAt: '2026-11-20T02:00:00Z', validityDays: 30, sameHospital: true };
    expect(explain(decision, summary, 'en')).toBe(
      'Recognisable: Chest CT from Y (this hospital) performed 2026-11-20 is within its 30-day window.',
    );
    expect(explain(decision, summary, 'zh')).toBe('可予互认：本院于2026-11-20完成的Chest CT在30天有效期内。');
    const panel = makeFacts({ requestedItem: items.alt, resultItem: items.liverPanel, result: { analyteCodes: ['ALT'] } });
    expect(explain(decide(ruleSet(), panel, NOW), panel, 'en')).toContain('ALT (Liver function panel) from');
  });

  it('dates the exam in Asia/Shanghai', () => {
    expect(shanghaiDate(at('2026-11-19T15:59:59Z'))).toBe('2026-11-19');
    expect(shanghaiDate(at('2026-11-19T16:00:00Z'))).toBe('2026-11-20');
    expect(shanghaiDate('not a date')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { declineFlagged, itemMatch, purposeRefusal, reasonProblems, recognitionRefusal } from '../../src/modules/rules/index.ts';
import { item } from './rules-fixtures.ts';

const lab = (code: string, analytes: string[] | null) => item({ code, category: 'lab', analytes, radiationMsv: null });

describe('item match: which prior results stand for a requested item', () => {
  it('matches the same item, and a lab panel whose analytes cover the requested ones', () => {
    expect(itemMatch(item(), { itemCode: 'CT-CHEST', analyteCodes: [] }, item()).matches).toBe(true);
    const alt = lab('LAB-ALT', ['ALT']);
    const liverPanel = lab('LAB-LFT', ['ALT', 'AST', 'TBIL']);
    expect(itemMatch(alt, { itemCode: 'LAB-LFT', analyteCodes: [] }, liverPanel)).toEqual({
      matches: true,
      detail: 'analytes ALT covered by LAB-LFT',
    });
    // The analytes a result reported win over its item's list.
    expect(itemMatch(alt, { itemCode: 'LAB-LFT', analyteCodes: ['AST'] }, liverPanel).matches).toBe(false);
    expect(itemMatch(lab('LAB-LIVER2', ['ALT', 'GGT']), { itemCode: 'LAB-LFT', analyteCodes: [] }, liverPanel).matches).toBe(false);
  });

  it('never lets an item of another category stand for a lab item, nor any other item', () => {
    const withAnalytes = item({ code: 'US-ABD', category: 'ultrasound', analytes: ['ALT'] });
    expect(itemMatch(lab('LAB-ALT', ['ALT']), { itemCode: 'US-ABD', analyteCodes: ['ALT'] }, withAnalytes).matches).toBe(false);
    expect(itemMatch(item(), { itemCode: 'CT-HEAD', analyteCodes: [] }, item({ code: 'CT-HEAD' }))).toEqual({
      matches: false,
      detail: 'requested CT-CHEST, result is CT-HEAD',
    });
  });
});

describe('purpose of use', () => {
  it('discloses prior results for treatment only', () => {
    expect(purposeRefusal('treatment')).toBeNull();
    expect(purposeRefusal('research')).toMatch(/only for the purpose "treatment", not "research"/);
  });
});

describe('decisions', () => {
  const recognisable = { itemCode: 'CT-CHEST', outcome: 'RECOGNIZABLE', advisories: [] };

  it('recognises only a recognisable candidate, and one per requested item', () => {
    expect(recognitionRefusal(recognisable, new Set())).toBeNull();
    expect(recognitionRefusal({ ...recognisable, outcome: 'NOT_RECOGNIZABLE' }, new Set())?.code).toBe('not-recognizable');
    expect(recognitionRefusal(recognisable, new Set(['CT-CHEST']))?.code).toBe('already-recognized');
    expect(recognitionRefusal(recognisable, new Set(['LAB-CBC']))).toBeNull();
  });

  it('flags a decline of a recognisable result without an advisory, and only that', () => {
    expect(declineFlagged(recognisable)).toBe(true);
    expect(declineFlagged({ ...recognisable, advisories: ['D4_EMERGENCY'] })).toBe(false);
    expect(declineFlagged({ ...recognisable, outcome: 'NOT_RECOGNIZABLE' })).toBe(false);
  });

  it('requires a decline code, and text with D6_OTHER; a recognition carries neither', () => {
    expect(reasonProblems({ action: 'declined' })).toEqual([{ field: 'reasonCode', message: 'is required to decline' }]);
    expect(reasonProblems({ action: 'declined', reasonCode: 'D6_OTHER' })).toEqual([
      { field: 'reasonText', message: 'is required with D6_OTHER' },
    ]);
    expect(reasonProblems({ action: 'declined', reasonCode: 'D6_OTHER', reasonText: 'family asked' })).toEqual([]);
    expect(reasonProblems({ action: 'recognized', reasonCode: 'D1_CONDITION_CHANGED' })).toEqual([
      { field: 'reasonCode', message: 'is only for declines' },
    ]);
    expect(reasonProblems({ action: 'recognized' })).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { splitIntoMonths } from '../../src/modules/reports/repository.ts';

describe('splitIntoMonths', () => {
  it('keeps a period inside one month as days', () => {
    expect(splitIntoMonths('2026-11-20', '2026-11-21')).toEqual({ months: null, days: [['2026-11-20', '2026-11-21']] });
    expect(splitIntoMonths('2026-11-02', '2026-11-30')).toEqual({ months: null, days: [['2026-11-02', '2026-11-30']] });
  });

  it('reads whole months from the monthly table', () => {
    expect(splitIntoMonths('2026-11-01', '2026-11-30')).toEqual({ months: ['2026-11-01', '2026-11-01'], days: [] });
    expect(splitIntoMonths('2026-01-01', '2026-12-31')).toEqual({ months: ['2026-01-01', '2026-12-01'], days: [] });
  });

  it('reads the partial months at either end as days', () => {
    expect(splitIntoMonths('2025-12-01', '2026-11-30')).toEqual({ months: ['2025-12-01', '2026-11-01'], days: [] });
    expect(splitIntoMonths('2025-11-30', '2026-11-29')).toEqual({
      months: ['2025-12-01', '2026-10-01'],
      days: [['2025-11-30', '2025-11-30'], ['2026-11-01', '2026-11-29']],
    });
    expect(splitIntoMonths('2024-02-15', '2024-03-31')).toEqual({ months: ['2024-03-01', '2024-03-01'], days: [['2024-02-15', '2024-02-29']] });
    expect(splitIntoMonths('2026-10-31', '2026-11-01')).toEqual({ months: null, days: [['2026-10-31', '2026-11-01']] });
  });
});

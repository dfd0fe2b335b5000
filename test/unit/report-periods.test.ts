import { describe, expect, it } from 'vitest';
import { splitIntoMonths } from '../../src/modules/reports/repository.ts';

describe('splitIntoMonths', () => {
  it('reads a short part of a month as days', () => {
    expect(splitIntoMonths('2026-11-20', '2026-11-21')).toEqual({ months: null, days: [['2026-11-20', '2026-11-21']], minus: [] });
    expect(splitIntoMonths('2026-10-31', '2026-11-01')).toEqual({ months: null, days: [['2026-10-31', '2026-10-31'], ['2026-11-01', '2026-11-01']], minus: [] });
    // Half a month or less: the days it covers.
    expect(splitIntoMonths('2026-11-16', '2026-11-30')).toEqual({ months: null, days: [['2026-11-16', '2026-11-30']], minus: [] });
  });

  it('reads whole months from the monthly table', () => {
    expect(splitIntoMonths('2026-11-01', '2026-11-30')).toEqual({ months: ['2026-11-01', '2026-11-01'], days: [], minus: [] });
    expect(splitIntoMonths('2026-01-01', '2026-12-31')).toEqual({ months: ['2026-01-01', '2026-12-01'], days: [], minus: [] });
    expect(splitIntoMonths('2024-02-01', '2024-02-29')).toEqual({ months: ['2024-02-01', '2024-02-01'], days: [], minus: [] });
  });

  it('reads most of a month as the whole month less the days left out', () => {
    expect(splitIntoMonths('2026-11-02', '2026-11-30')).toEqual({ months: ['2026-11-01', '2026-11-01'], days: [], minus: [['2026-11-01', '2026-11-01']] });
    expect(splitIntoMonths('2026-11-15', '2026-11-30')).toEqual({ months: ['2026-11-01', '2026-11-01'], days: [], minus: [['2026-11-01', '2026-11-14']] });
    expect(splitIntoMonths('2026-11-03', '2026-11-28')).toEqual({
      months: ['2026-11-01', '2026-11-01'],
      days: [],
      minus: [['2026-11-01', '2026-11-02'], ['2026-11-29', '2026-11-30']],
    });
  });

  it('treats the partial months at either end each on its own', () => {
    // The last 365 days seen on 2026-12-01: December 2025 less its first day, then whole months, then one day.
    expect(splitIntoMonths('2025-12-02', '2026-12-01')).toEqual({
      months: ['2025-12-01', '2026-11-01'],
      days: [['2026-12-01', '2026-12-01']],
      minus: [['2025-12-01', '2025-12-01']],
    });
    expect(splitIntoMonths('2025-11-30', '2026-11-29')).toEqual({
      months: ['2025-12-01', '2026-11-01'],
      days: [['2025-11-30', '2025-11-30']],
      minus: [['2026-11-30', '2026-11-30']],
    });
    expect(splitIntoMonths('2024-02-15', '2024-03-31')).toEqual({ months: ['2024-02-01', '2024-03-01'], days: [], minus: [['2024-02-01', '2024-02-14']] });
    expect(splitIntoMonths('2024-02-16', '2024-03-31')).toEqual({ months: ['2024-03-01', '2024-03-01'], days: [['2024-02-16', '2024-02-29']], minus: [] });
  });

  it('covers every day of the period exactly once', () => {
    const days = (from: string, to: string) => {
      const out: string[] = [];
      for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
      return out;
    };
    // Date.UTC(year, month, 0) is the last day of the month before `month` (0-based): this one's.
    const monthDays = (first: string) => days(first, new Date(Date.UTC(Number(first.slice(0, 4)), Number(first.slice(5, 7)), 0)).toISOString().slice(0, 10));
    for (const [from, to] of [['2025-12-02', '2026-12-01'], ['2026-01-31', '2026-03-01'], ['2023-12-17', '2024-02-13'], ['2026-05-05', '2026-05-25']]) {
      const parts = splitIntoMonths(from, to);
      const count = new Map<string, number>();
      const add = (day: string, n: number) => count.set(day, (count.get(day) ?? 0) + n);
      for (const [a, b] of parts.days) days(a, b).forEach((d) => add(d, 1));
      for (const [a, b] of parts.minus) days(a, b).forEach((d) => add(d, -1));
      if (parts.months) {
        const [first, last] = parts.months;
        for (let t = new Date(`${first}T00:00:00Z`); t.toISOString().slice(0, 10) <= last; t.setUTCMonth(t.getUTCMonth() + 1)) {
          monthDays(t.toISOString().slice(0, 10)).forEach((d) => add(d, 1));
        }
      }
      const expected = days(from, to);
      expect([...count].filter(([, n]) => n !== 0).map(([d]) => d).sort()).toEqual(expected);
      expect([...count.values()].every((n) => n === 0 || n === 1)).toBe(true);
    }
  });
});

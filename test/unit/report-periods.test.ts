import { describe, expect, it } from 'vitest';
import { splitPeriod, type Level, type Piece } from '../../src/modules/reports/periods.ts';

const piece = (level: Level, first: string, last: string, sign: 1 | -1 = 1): Piece => ({ level, first, last, sign });

describe('splitPeriod', () => {
  it('reads a short part of a month as days', () => {
    expect(splitPeriod('2026-11-20', '2026-11-21')).toEqual([piece('day', '2026-11-20', '2026-11-21')]);
    expect(splitPeriod('2026-10-31', '2026-11-01')).toEqual([
      piece('day', '2026-10-31', '2026-10-31'),
      piece('day', '2026-11-01', '2026-11-01'),
    ]);
    // Half a month or less: the days it covers.
    expect(splitPeriod('2026-11-16', '2026-11-30')).toEqual([piece('day', '2026-11-16', '2026-11-30')]);
  });

  it('reads whole months from the monthly table, consecutive months as one range', () => {
    expect(splitPeriod('2026-11-01', '2026-11-30')).toEqual([piece('month', '2026-11-01', '2026-11-01')]);
    expect(splitPeriod('2026-01-01', '2026-12-31')).toEqual([piece('month', '2026-01-01', '2026-12-01')]);
    expect(splitPeriod('2024-02-01', '2024-02-29')).toEqual([piece('month', '2024-02-01', '2024-02-01')]);
  });

  it('reads most of a month as the whole month less the days left out', () => {
    expect(splitPeriod('2026-11-02', '2026-11-30')).toEqual([
      piece('month', '2026-11-01', '2026-11-01'),
      piece('day', '2026-11-01', '2026-11-01', -1),
    ]);
    expect(splitPeriod('2026-11-03', '2026-11-28')).toEqual([
      piece('month', '2026-11-01', '2026-11-01'),
      piece('day', '2026-11-01', '2026-11-02', -1),
      piece('day', '2026-11-29', '2026-11-30', -1),
    ]);
  });

  it('treats the partial months at either end each on its own', () => {
    // The last 365 days seen on 2026-12-01: December 2025 less its first day, then whole months, then one day.
    expect(splitPeriod('2025-12-02', '2026-12-01')).toEqual([
      piece('month', '2025-12-01', '2025-12-01'),
      piece('day', '2025-12-01', '2025-12-01', -1),
      piece('month', '2026-01-01', '2026-11-01'),
      piece('day', '2026-12-01', '2026-12-01'),
    ]);
    expect(splitPeriod('2024-02-16', '2024-03-31')).toEqual([
      piece('day', '2024-02-16', '2024-02-29'),
      piece('month', '2024-03-01', '2024-03-01'),
    ]);
  });

  it('reads most of a year as the whole year less what it leaves out, month by month or day by day', () => {
    expect(splitPeriod('2025-12-02', '2026-12-01', ['year', 'month', 'day'])).toEqual([
      piece('month', '2025-12-01', '2025-12-01'),
      piece('day', '2025-12-01', '2025-12-01', -1),
      piece('year', '2026-01-01', '2026-01-01'),
      // The rest of December 2026 is left out: most of that month, so the month less its first day.
      piece('month', '2026-12-01', '2026-12-01', -1),
      piece('day', '2026-12-01', '2026-12-01'),
    ]);
    expect(splitPeriod('2025-01-01', '2026-12-31', ['year', 'month', 'day'])).toEqual([piece('year', '2025-01-01', '2026-01-01')]);
  });

  it('counts every day of the period exactly once, whatever the levels', () => {
    const days = (from: string, to: string) => {
      const out: string[] = [];
      for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
        out.push(new Date(t).toISOString().slice(0, 10));
      return out;
    };
    const unitDays = (level: Level, first: string) => {
      if (level === 'day') return [first];
      const end = new Date(`${first}T00:00:00Z`);
      if (level === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
      else end.setUTCMonth(end.getUTCMonth() + 1);
      end.setUTCDate(end.getUTCDate() - 1);
      return days(first, end.toISOString().slice(0, 10));
    };
    const units = (p: Piece) => {
      if (p.level === 'day') return days(p.first, p.last);
      const out: string[] = [];
      for (
        let t = new Date(`${p.first}T00:00:00Z`);
        t.toISOString().slice(0, 10) <= p.last;
        p.level === 'year' ? t.setUTCFullYear(t.getUTCFullYear() + 1) : t.setUTCMonth(t.getUTCMonth() + 1)
      ) {
        out.push(t.toISOString().slice(0, 10));
      }
      return out;
    };
    const periods = [
      ['2025-12-02', '2026-12-01'],
      ['2026-01-31', '2026-03-01'],
      ['2023-12-17', '2026-02-13'],
      ['2026-05-05', '2026-05-25'],
      ['2024-01-15', '2024-12-20'],
      ['2024-02-29', '2024-02-29'],
    ];
    for (const levels of [['day'], ['month', 'day'], ['year', 'month', 'day']] as Level[][]) {
      for (const [from, to] of periods) {
        const count = new Map<string, number>();
        for (const p of splitPeriod(from, to, levels)) {
          for (const unit of units(p)) for (const d of unitDays(p.level, unit)) count.set(d, (count.get(d) ?? 0) + p.sign);
        }
        expect(
          [...count]
            .filter(([, n]) => n !== 0)
            .map(([d]) => d)
            .sort(),
        ).toEqual(days(from, to));
        expect([...count.values()].every((n) => n === 0 || n === 1)).toBe(true);
      }
    }
  });
});

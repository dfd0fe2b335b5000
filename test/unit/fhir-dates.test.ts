import { describe, expect, it } from 'vitest';
import { sinceOf } from '../../src/modules/fhir/search.ts';

/** FHIR search's date and started: ge and gt, with a date (a Shanghai day) or a date-time with its offset. */
describe('sinceOf', () => {
  it('starts a day, month or year at Shanghai midnight, and gt after it', () => {
    expect(sinceOf('ge2026-11-26', 'date').toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(sinceOf('gt2026-11', 'date').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(sinceOf('gt2026', 'date').toISOString()).toBe('2026-12-31T16:00:00.000Z');
  });

  it('takes a date-time at its offset, gt after its last unit', () => {
    expect(sinceOf('ge2026-02-28T23:00:00+08:00', 'date').toISOString()).toBe('2026-02-28T15:00:00.000Z');
    expect(sinceOf('gt2026-11-26T10:00Z', 'date').toISOString()).toBe('2026-11-26T10:01:00.000Z');
    expect(sinceOf('gt2026-11-26T10:00:00Z', 'date').toISOString()).toBe('2026-11-26T10:00:01.000Z');
    expect(sinceOf('gt2026-11-26T10:00:00.5Z', 'date').toISOString()).toBe('2026-11-26T10:00:00.501Z');
  });

  it.each([
    ['ge2026-02-30', 'a day its month does not have'],
    ['ge2026-02-31T00:00:00Z', 'the same in a date-time (JavaScript would read it as 3 March)'],
    ['ge1899-12-31T23:59:59Z', 'before 1900'],
    ['gt9999-12-31T23:59:59.999Z', 'after 9999 once gt adds its unit'],
    ['ge9999-12-31T23:59:59-14:00', 'after 9999 in UTC'],
    ['lt2026-11-26', 'a prefix other than ge and gt'],
    ['ge2026-11-26T25:00:00Z', 'an hour that is no hour'],
  ])('refuses %s: %s', (value) => {
    expect(() => sinceOf(value, 'date')).toThrow(/date/);
  });
});

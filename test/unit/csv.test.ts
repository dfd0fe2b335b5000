import { describe, expect, it } from 'vitest';
import { toCsv, wantsCsv } from '../../src/modules/reports/csv.ts';

describe('CSV', () => {
  it('quotes per RFC 4180 and ends lines with CRLF', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          [1.5, null],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n1.5,\r\n');
  });

  it('defuses text a spreadsheet would run as a formula, but not numbers', () => {
    expect(
      toCsv(
        ['label', 'n'],
        [
          ['=HYPERLINK("x")', -3],
          ['@SUM(A1)', 0],
        ],
      ),
    ).toBe('label,n\r\n"\'=HYPERLINK(""x"")",-3\r\n\'@SUM(A1),0\r\n');
  });

  it('negotiates CSV only when preferred', () => {
    expect(wantsCsv('text/csv')).toBe(true);
    expect(wantsCsv('application/json')).toBe(false);
    expect(wantsCsv('application/json, text/csv;q=0.5')).toBe(false);
    expect(wantsCsv(undefined)).toBe(false);
    expect(wantsCsv('*/*')).toBe(false);
  });
});

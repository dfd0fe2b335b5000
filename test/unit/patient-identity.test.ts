import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateResidentId,
  normaliseIdNumber,
  patientKey,
  residentIdCheckChar,
  validateResidentId,
} from '../../src/modules/patients/index.ts';

// Pinned so birth-date checks never depend on the day the suite runs.
const today = new Date('2025-06-15T04:00:00Z'); // 12:00 in China

/** Replaces the check character with a different, still well-formed one. */
function withWrongCheckChar(id: string): string {
  const wrong = id[17] === '0' ? '1' : '0';
  return id.slice(0, 17) + wrong;
}

function message(idNumber: string, at: Date = today): string {
  const check = validateResidentId(idNumber, at);
  if (check.ok) throw new Error(`${idNumber} was unexpectedly valid`);
  return check.message;
}

describe('validateResidentId', () => {
  it('accepts the GB 11643 sample 11010519491231002X', () => {
    expect(validateResidentId('11010519491231002X', today)).toEqual({
      ok: true,
      normalised: '11010519491231002X',
      birthDate: '1949-12-31',
    });
  });

  it('accepts generated IDs, whatever their check character', () => {
    const ids = ['19900101', '20000229', '19851231', '20250615'].flatMap((birth) =>
      ['001', '002', '137', '998', '999'].map((seq) => generateResidentId(birth, '330106', seq)),
    );
    const checkChars = new Set(ids.map((id) => id[17]));
    expect(checkChars.size).toBeGreaterThan(5);
    for (const id of ids) expect(validateResidentId(id, today).ok, id).toBe(true);
  });

  it('rejects a wrong check digit', () => {
    expect(message(withWrongCheckChar(generateResidentId('19900101')))).toBe('check digit does not match');
    expect(message('110105194912310021')).toBe('check digit does not match');
  });

  it("accepts a lower-case 'x' and surrounding or internal spaces", () => {
    const check = validateResidentId('  110105 19491231 002x ', today);
    expect(check).toMatchObject({ ok: true, normalised: '11010519491231002X' });
  });

  it('accepts 29 February only in a leap year', () => {
    expect(validateResidentId(generateResidentId('20000229'), today).ok).toBe(true); // divisible by 400
    expect(validateResidentId(generateResidentId('19960229'), today).ok).toBe(true);
    expect(message(generateResidentId('19990229'))).toBe('birth date 19990229 is not a real date');
    expect(message(generateResidentId('19000229'))).toBe('birth date 19000229 is not a real date'); // century
  });

  it('rejects impossible dates', () => {
    expect(message(generateResidentId('19990231'))).toBe('birth date 19990231 is not a real date');
    expect(message(generateResidentId('19991301'))).toBe('birth date 19991301 is not a real date');
    expect(message(generateResidentId('19990400'))).toBe('birth date 19990400 is not a real date');
    expect(message(generateResidentId('19990431'))).toBe('birth date 19990431 is not a real date');
  });

  it('rejects a birth date in the future or before 1900', () => {
    expect(message(generateResidentId('20250616'))).toBe('birth date 20250616 is in the future');
    expect(message(generateResidentId('20300101'))).toBe('birth date 20300101 is in the future');
    expect(message(generateResidentId('18991231'))).toBe('birth date 18991231 is before 1900');
    expect(validateResidentId(generateResidentId('19000101'), today).ok).toBe(true);
  });

  it("judges 'today' by the calendar day in China", () => {
    const bornToday = generateResidentId('20250616');
    // 2025-06-15T16:30Z is already 16 June 00:30 in China.
    expect(validateResidentId(bornToday, new Date('2025-06-15T16:30:00Z')).ok).toBe(true);
    expect(validateResidentId(bornToday, new Date('2025-06-15T15:59:59Z')).ok).toBe(false);
  });

  it('rejects the wrong length', () => {
    expect(message('')).toBe('must be 18 characters (got 0)');
    expect(message('11010519491231002')).toBe('must be 18 characters (got 17)');
    expect(message('110105194912310021X')).toBe('must be 18 characters (got 19)');
    // The retired 15-digit format is not accepted.
    expect(message('110105491231002')).toBe('must be 18 characters (got 15)');
  });

  it('rejects non-digits', () => {
    expect(message('11010519491231A02X')).toBe('the first 17 characters must be digits');
    expect(message('X10105194912310021')).toBe('the first 17 characters must be digits');
    expect(message('11010519491231002Y')).toBe('the last character must be a digit or X');
    expect(message('１１０１０５１９４９１２３１００２Ｘ')).toBe('the first 17 characters must be digits');
  });
});

describe('generateResidentId', () => {
  it('builds region + birth + sequence + check character', () => {
    const id = generateResidentId('19491231', '110105', '002');
    expect(id).toBe('11010519491231002X');
    expect(generateResidentId('19900101')).toMatch(/^33010619900101001[\dX]$/);
    expect(residentIdCheckChar('11010519491231002')).toBe('X');
  });

  it('refuses malformed parts', () => {
    expect(() => generateResidentId('1990-01-01')).toThrow(/YYYYMMDD/);
    expect(() => generateResidentId('19900101', '33010')).toThrow(/region/);
    expect(() => generateResidentId('19900101', '330106', '1')).toThrow(/seq/);
  });
});

describe('normaliseIdNumber', () => {
  it('trims, removes internal whitespace and upper-cases', () => {
    expect(normaliseIdNumber('resident_id', ' 110105 19491231 002x\t')).toBe('11010519491231002X');
    expect(normaliseIdNumber('passport', ' e 1234 5678 ')).toBe('E12345678');
    expect(normaliseIdNumber('other', 'hk-a123456(7)')).toBe('HK-A123456(7)');
  });
});

describe('patientKey', () => {
  const secret = 'test-patient-key-secret-0123456789abcdef';
  const id = '11010519491231002X';

  it('is a 64-character hex HMAC-SHA256 of "idType:number"', () => {
    const key = patientKey(secret, 'resident_id', id);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).toBe(createHmac('sha256', secret).update(`resident_id:${id}`).digest('hex'));
    expect(patientKey(new TextEncoder().encode(secret), 'resident_id', id)).toBe(key);
  });

  it('is stable across formatting differences', () => {
    const key = patientKey(secret, 'resident_id', id);
    const lower = validateResidentId(' 110105 19491231 002x ', today);
    if (!lower.ok) throw new Error(lower.message);
    expect(patientKey(secret, 'resident_id', lower.normalised)).toBe(key);
    expect(patientKey(secret, 'resident_id', '110105 19491231002x')).toBe(key);
    expect(patientKey(secret, 'passport', ' e1234 5678')).toBe(patientKey(secret, 'passport', 'E12345678'));
  });

  it('differs by ID type, by secret and by person', () => {
    const key = patientKey(secret, 'resident_id', id);
    expect(patientKey(secret, 'other', id)).not.toBe(key);
    expect(patientKey(secret, 'passport', id)).not.toBe(key);
    expect(patientKey(`${secret}!`, 'resident_id', id)).not.toBe(key);
    expect(patientKey(secret, 'resident_id', generateResidentId('19491231', '110105', '004'))).not.toBe(key);
  });

  it('refuses an empty secret', () => {
    expect(() => patientKey('', 'resident_id', id)).toThrow(/secret/);
    expect(() => patientKey(new Uint8Array(0), 'resident_id', id)).toThrow(/secret/);
  });
});

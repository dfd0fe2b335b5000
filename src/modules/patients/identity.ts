// Patient identity without identities: ID numbers are validated, normalised and turned into a patient
// key at the edge, and only the key is stored. Pure functions; the secret is passed in.
import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import { shanghaiDay } from '../../calendar.ts';
import type { FieldError } from '../../errors.ts';
import type { patientIdentity } from '../../http/schemas.ts';

export type PatientIdentity = z.output<typeof patientIdentity>;

export type IdType = 'resident_id' | 'passport' | 'other';

export type ResidentIdCheck = { ok: true; normalised: string; birthDate: string } | { ok: false; message: string };

// GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const EARLIEST_BIRTH_YEAR = 1900;

/**
 * Trim, drop all whitespace and upper-case (a resident ID's trailing 'x' becomes 'X'). One rule for
 * every ID type today; the type parameter leaves room for type-specific rules.
 */
export function normaliseIdNumber(_idType: IdType, idNumber: string): string {
  return idNumber.replace(/\s+/g, '').toUpperCase();
}

/** The MOD 11-2 check character for the first 17 digits of a resident ID. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('the check character needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * CHECK_WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/**
 * Validates an 18-character resident ID (居民身份证号码): digits, a real birth date between 1900 and
 * `today` (the date in China), and the check character. Messages say which rule failed.
 */
export function validateResidentId(idNumber: string, today: Date = new Date()): ResidentIdCheck {
  const normalised = normaliseIdNumber('resident_id', idNumber);
  if (normalised.length !== 18) {
    return { ok: false, message: `must be 18 characters (got ${normalised.length})` };
  }
  if (!/^\d{17}$/.test(normalised.slice(0, 17))) {
    return { ok: false, message: 'the first 17 characters must be digits' };
  }
  const last = normalised[17];
  if (!/^[\dX]$/.test(last)) {
    return { ok: false, message: 'the last character must be a digit or X' };
  }

  const birth = normalised.slice(6, 14);
  const year = Number(birth.slice(0, 4));
  const month = Number(birth.slice(4, 6));
  const day = Number(birth.slice(6, 8));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, message: `birth date ${birth} is not a real date` };
  }
  if (year < EARLIEST_BIRTH_YEAR) {
    return { ok: false, message: `birth date ${birth} is before ${EARLIEST_BIRTH_YEAR}` };
  }
  // "Today" for a birth date is the calendar day in China.
  if (birth > shanghaiDay(today).replaceAll('-', '')) {
    return { ok: false, message: `birth date ${birth} is in the future` };
  }

  if (residentIdCheckChar(normalised.slice(0, 17)) !== last) {
    return { ok: false, message: 'check digit does not match' };
  }
  return { ok: true, normalised, birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}` };
}

/**
 * The patient key: HMAC-SHA256 under a server secret of `${idType}:${normalised id number}`, in hex.
 *
 * Why a keyed HMAC and not a plain hash: the key must be deterministic, so the same person submitted
 * by two hospitals lands on the same key and their results can be matched (pseudonymisation, not
 * anonymisation). But the resident-ID space is small and structured (about 3,000 region codes x
 * 36,500 birth dates x 1,000 sequence numbers, the check digit being derived: ~10^11, and ~10^9 once
 * region and birth year are guessed), so an unkeyed SHA-256 index could be reversed by enumeration in
 * hours. With the secret held only by the service, every guess needs the secret: the index or a
 * database dump alone reveals nobody. The ID type is part of the message so a passport number and a
 * resident ID that happen to share characters never collide.
 */
export function patientKey(secret: string | Uint8Array, idType: IdType, normalisedIdNumber: string): string {
  if (secret.length === 0) throw new Error('the patient-key secret must not be empty');
  // Normalising again is idempotent and keeps keys stable even if a caller skipped it.
  const idNumber = normaliseIdNumber(idType, normalisedIdNumber);
  return createHmac('sha256', secret).update(`${idType}:${idNumber}`, 'utf8').digest('hex');
}

/**
 * A valid resident ID for tests and demo data: region code, birth date (YYYYMMDD), sequence number
 * (odd last digit = male, even = female) and the computed check character. The birth date is not
 * checked, so tests can build IDs whose only fault is the date.
 */
export function generateResidentId(birth: string, region = '330106', seq = '001'): string {
  if (!/^\d{6}$/.test(region)) throw new Error(`region must be 6 digits, got '${region}'`);
  if (!/^\d{8}$/.test(birth)) throw new Error(`birth must be YYYYMMDD, got '${birth}'`);
  if (!/^\d{3}$/.test(seq)) throw new Error(`seq must be 3 digits, got '${seq}'`);
  const first17 = `${region}${birth}${seq}`;
  return first17 + residentIdCheckChar(first17);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The patient key of an identity; resident IDs must be valid (length, birth date not after `today`,
 * check digit). Messages name the rule that failed, never the whole ID number.
 */
export function derivePatientKey(patient: PatientIdentity, secret: string, today: Date, field = 'patient.idNumber'): string | FieldError {
  if (patient.idType === 'resident_id') {
    const check = validateResidentId(patient.idNumber, today);
    if (!check.ok) return { field, message: `not a valid resident ID number: ${check.message}` };
    return patientKey(secret, 'resident_id', check.normalised);
  }
  const normalised = normaliseIdNumber(patient.idType, patient.idNumber);
  if (normalised.length === 0) return { field, message: 'must not be blank' };
  return patientKey(secret, patient.idType, normalised);
}

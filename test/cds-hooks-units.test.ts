import { describe, expect, it } from 'vitest';
import { cardFor, cardUuid, suggestionUuid, type CheckCandidate } from '../src/modules/cds-hooks/cards.ts';
import { practitionerIdOf } from '../src/modules/cds-hooks/orders.ts';
import {
  identityFromFhirIdentifiers,
  identifierTypeSystem,
  otherIdentitySystem,
  passportSystem,
  residentIdSystem,
} from '../src/modules/patients/index.ts';
import { itemCodeSystem, itemForCodings, localCodeSystem, loincSystem, type RegistrySnapshot } from '../src/modules/registry/index.ts';
import type { CatalogueItem } from '../src/modules/rules/index.ts';
import { specResponse } from './helpers/cds-hooks.ts';

const item = (code: string, extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  code,
  name: code,
  category: 'lab',
  validityDays: 30,
  negativeList: false,
  analytes: [],
  prices: {},
  minutesSaved: 30,
  radiationMsv: null,
  ...extra,
});

describe('identityFromFhirIdentifiers', () => {
  it('prefers a resident ID, then a passport (by system or typed PPN), then another document', () => {
    const resident = { system: residentIdSystem, value: ' 11010519491231002x ' };
    const passport = { system: passportSystem, value: 'E1234567' };
    const other = { system: otherIdentitySystem, value: 'HK-99' };
    const mrn = { system: 'http://hospital.example/mrn', value: '42' };
    expect(identityFromFhirIdentifiers([mrn, other, passport, resident])).toEqual({
      idType: 'resident_id',
      idNumber: '11010519491231002x',
    });
    expect(identityFromFhirIdentifiers([mrn, other, passport])).toEqual({ idType: 'passport', idNumber: 'E1234567' });
    const typed = {
      system: 'http://passports.example/cn',
      value: 'G7654321',
      type: { coding: [{ system: identifierTypeSystem, code: 'PPN' }] },
    };
    expect(identityFromFhirIdentifiers([other, typed])).toEqual({ idType: 'passport', idNumber: 'G7654321' });
    expect(identityFromFhirIdentifiers([mrn, other])).toEqual({ idType: 'other', idNumber: 'HK-99' });
  });

  it('skips old and blank identifiers, and knows no other system', () => {
    expect(
      identityFromFhirIdentifiers([
        { system: residentIdSystem, value: '1', use: 'old' },
        { system: residentIdSystem, value: '  ' },
      ]),
    ).toBeNull();
    expect(identityFromFhirIdentifiers([{ system: 'http://hospital.example/mrn', value: '42' }])).toBeNull();
    expect(identityFromFhirIdentifiers(undefined)).toBeNull();
  });
});

describe('itemForCodings', () => {
  const registry = {
    items: new Map([
      ['LAB-GLU', item('LAB-GLU', { loinc: ['2345-7'] })],
      ['LAB-K', item('LAB-K', { loinc: ['2823-3'] })],
      ['LAB-K2', item('LAB-K2', { loinc: ['2823-3'] })],
      ['CT-CHEST', item('CT-CHEST', { category: 'ct' })],
    ]),
    codeMaps: new Map([
      ['H1\u0000XBCT', 'CT-CHEST'],
      ['H1\u0000LAB-K', 'LAB-GLU'],
    ]),
  } as unknown as RegistrySnapshot;

  it('reads a catalogue code first, then the hospital’s own local code, then a LOINC code one item lists', () => {
    const coded = (codings: { system: string; code: string }[]) => itemForCodings(registry, 'H1', codings)?.requestedCode ?? null;
    expect(
      coded([
        { system: loincSystem, code: '2345-7' },
        { system: itemCodeSystem, code: 'CT-CHEST' },
      ]),
    ).toBe('CT-CHEST');
    expect(
      coded([
        { system: loincSystem, code: '2345-7' },
        { system: localCodeSystem('H1'), code: 'XBCT' },
      ]),
    ).toBe('XBCT');
    expect(coded([{ system: loincSystem, code: '2345-7' }])).toBe('LAB-GLU');
    // Another hospital's local system, an unknown code, a LOINC code two items list: nothing.
    expect(coded([{ system: localCodeSystem('H2'), code: 'XBCT' }])).toBeNull();
    expect(coded([{ system: itemCodeSystem, code: 'NOPE' }])).toBeNull();
    expect(coded([{ system: loincSystem, code: '2823-3' }])).toBeNull();
    // A local code that is also a catalogue code is asked by the item it maps to (a check would read the catalogue's).
    expect(coded([{ system: localCodeSystem('H1'), code: 'LAB-K' }])).toBe('LAB-GLU');
  });
});

describe('cards', () => {
  const candidate: CheckCandidate = {
    resultId: '01a2455d-de38-7c46-b6cb-8e536a98bbab',
    accessionNo: 'ACC_1*',
    issuingHospitalId: 'HZ-001',
    itemCode: 'CT-CHEST',
    performedAt: '2026-11-25T01:00:00.000Z',
    outcome: 'RECOGNIZABLE',
    retestPermitted: true,
    reasons: [],
    advisories: ['D4_EMERGENCY'],
    explanation: 'Recognisable, retest permitted (emergency): …',
    savings: { yuan: 350, minutes: 60, radiationMsv: 7 },
  };

  it('have stable uuids (RFC 9562 version 8) per check, item and result', () => {
    const uuid = cardUuid('c1', 'CT-CHEST', candidate.resultId);
    expect(uuid).toBe(cardUuid('c1', 'CT-CHEST', candidate.resultId));
    expect(uuid).not.toBe(cardUuid('c2', 'CT-CHEST', candidate.resultId));
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(suggestionUuid(uuid)).not.toBe(uuid);
  });

  it('cut a long summary below 140 characters, escape registry text in Markdown, and name the advisories', () => {
    const card = cardFor({
      checkId: 'c1',
      item: item('CT-CHEST', { category: 'ct', name: 'CT chest '.repeat(20) }),
      candidate,
      issuerName: 'Hospital [1] *A*',
      sameHospital: false,
      orderIds: [],
      locale: 'en',
      publicUrl: 'https://exchange.example/prefix',
    });
    expect([...card.summary].length).toBe(139);
    expect(card.summary.endsWith('…')).toBe(true);
    expect(card.detail).toContain('Hospital \\[1\\] \\*A\\*');
    expect(card.detail).toContain('ACC\\_1\\*');
    expect(card.detail).toContain('D4_EMERGENCY Emergency or critical care.');
    // Without a ServiceRequest id there is nothing to delete: no suggestion, and no selection behaviour.
    expect(card.suggestions).toBeUndefined();
    expect(card.selectionBehavior).toBeUndefined();
    expect(card.links[0].url).toBe('https://exchange.example/prefix/v1/results/ACC_1*/history?issuer=HZ-001');
    specResponse.parse({ cards: [card] });
  });

  it('take the doctor from context.userId', () => {
    expect(practitionerIdOf('Practitioner/123')).toBe('123');
    expect(practitionerIdOf('PractitionerRole/abc')).toBe('abc');
    expect(practitionerIdOf('dr-9')).toBe('dr-9');
    expect(() => practitionerIdOf('Patient/1')).toThrow();
  });
});

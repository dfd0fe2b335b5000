import { describe, expect, it } from 'vitest';
import {
  certificationGate,
  eventCovers,
  scopeContains,
  scopeHoldsItem,
  scopeStatusAt,
  statusAt,
} from '../../src/modules/rules/certification.ts';
import type { CertificationFacts } from '../../src/modules/rules/certification.ts';
import { decide } from '../../src/modules/rules/engine.ts';
import type { CertificationEvent, ScopeFacts } from '../../src/modules/rules/types.ts';
import { NOW, PERFORMED_AT, at, certEvent, daysAfter, hospital, items, makeFacts, ruleSet, scope } from './rules-fixtures.ts';

const issuer = hospital({ id: 'H-A', city: 'Hangzhou', province: 'Zhejiang' });
const receiver = hospital({ id: 'H-B', city: 'Hangzhou', province: 'Zhejiang', tier: 'tertiary' });
const shanghai = hospital({ id: 'H-SH', city: 'Shanghai', province: 'Shanghai' });

const consortium = scope({ id: 'S-CONS', level: 'consortium', region: null, members: ['H-A', 'H-B'] });
const city = scope({ id: 'S-HZ', level: 'city', region: 'Hangzhou' });
const province = scope({ id: 'S-ZJ', level: 'province', region: 'Zhejiang' });
const alliance = scope({ id: 'S-YRD', level: 'alliance', region: null, members: ['H-A', 'H-SH'], items: ['CT-CHEST'] });
const national = scope({ id: 'S-CN', level: 'national', region: null });

const gateOf = (scopes: ScopeFacts[], certifications: CertificationEvent[], to = receiver, t = PERFORMED_AT) =>
  certificationGate({ item: items.ctChest, issuer, receiver: to, scopes, certifications } satisfies CertificationFacts, t);

describe('scopeContains and scopeHoldsItem', () => {
  it('places hospitals by membership or location at each level', () => {
    expect(scopeContains(consortium, issuer)).toBe(true);
    expect(scopeContains(consortium, shanghai)).toBe(false);
    expect(scopeContains(alliance, shanghai)).toBe(true);
    expect(scopeContains(alliance, receiver)).toBe(false);
    expect(scopeContains(city, receiver)).toBe(true);
    expect(scopeContains(city, hospital({ city: 'Ningbo' }))).toBe(false);
    expect(scopeContains(province, hospital({ city: 'Ningbo' }))).toBe(true);
    expect(scopeContains(province, shanghai)).toBe(false);
    expect(scopeContains(national, shanghai)).toBe(true);
    expect(scopeContains(scope({ level: 'consortium', members: null }), issuer)).toBe(false);
  });

  it('tells apart cities of the same name in different provinces when a city scope names its province', () => {
    const taizhouZj = scope({ level: 'city', region: 'Taizhou', province: 'Zhejiang' });
    expect(scopeContains(taizhouZj, hospital({ city: 'Taizhou', province: 'Zhejiang' }))).toBe(true);
    expect(scopeContains(taizhouZj, hospital({ city: 'Taizhou', province: 'Jiangsu' }))).toBe(false);
    expect(scopeContains(scope({ level: 'city', region: 'Taizhou' }), hospital({ city: 'Taizhou', province: 'Jiangsu' }))).toBe(true);
  });

  it('holds every item when the list is null, else only those listed', () => {
    expect(scopeHoldsItem(province, 'ANY')).toBe(true);
    expect(scopeHoldsItem(alliance, 'CT-CHEST')).toBe(true);
    expect(scopeHoldsItem(alliance, 'MRI-BRAIN')).toBe(false);
  });

  it('covers an item by its code, its category, or everything', () => {
    expect(eventCovers(certEvent({ itemCode: 'CT-CHEST' }), items.ctChest)).toBe(true);
    expect(eventCovers(certEvent({ itemCode: 'CT-HEAD' }), items.ctChest)).toBe(false);
    expect(eventCovers(certEvent({ category: 'ct' }), items.ctChest)).toBe(true);
    expect(eventCovers(certEvent({ category: 'mri' }), items.ctChest)).toBe(false);
    expect(eventCovers(certEvent(), items.ctChest)).toBe(true);
  });
});

describe('statusAt', () => {
  const jan = at('2026-01-01T00:00:00Z');
  const mar = at('2026-03-01T00:00:00Z');
  const jun = at('2026-06-01T00:00:00Z');

  it('is null before the first event and with no events', () => {
    expect(statusAt([], jun)).toBeNull();
    expect(statusAt([certEvent({ effectiveFrom: mar })], jan)).toBeNull();
  });

  it('takes the latest effective event, inclusive of its instant', () => {
    const events = [certEvent({ effectiveFrom: jan }), certEvent({ status: 'suspended', effectiveFrom: mar, recordedAt: mar })];
    expect(statusAt(events, new Date(mar.getTime() - 1))).toBe('active');
    expect(statusAt(events, mar)).toBe('suspended');
    expect(statusAt([...events].reverse(), jun)).toBe('suspended');
  });

  it('breaks ties by specificity, then by later recording, then by gravity', () => {
    const category = certEvent({ category: 'ct', effectiveFrom: mar, recordedAt: jun });
    const specific = certEvent({ itemCode: 'CT-CHEST', status: 'suspended', effectiveFrom: mar, recordedAt: mar });
    expect(statusAt([specific, category], jun)).toBe('suspended');
    expect(statusAt([category, specific], jun)).toBe('suspended');
    const later = certEvent({ status: 'revoked', effectiveFrom: mar, recordedAt: jun });
    expect(statusAt([later, certEvent({ effectiveFrom: mar, recordedAt: mar })], jun)).toBe('revoked');
    const twin = certEvent({ status: 'suspended', effectiveFrom: mar, recordedAt: mar });
    expect(statusAt([twin, certEvent({ effectiveFrom: mar, recordedAt: mar })], jun)).toBe('suspended');
  });

  it('lets a later category event supersede an earlier item event', () => {
    const events = [
      certEvent({ itemCode: 'CT-CHEST', status: 'suspended', effectiveFrom: jan }),
      certEvent({ category: 'ct', effectiveFrom: mar }),
    ];
    expect(statusAt(events, jun)).toBe('active');
  });

  it('lets a retroactive revocation change the past', () => {
    const revocation = certEvent({ status: 'revoked', effectiveFrom: mar, recordedAt: jun });
    const events = [certEvent({ effectiveFrom: jan }), revocation];
    expect(statusAt(events, at('2026-04-01T00:00:00Z'))).toBe('revoked');
    expect(statusAt(events, at('2026-02-01T00:00:00Z'))).toBe('active');
  });

  it('scopeStatusAt reads one scope and one item out of every event', () => {
    const events = [
      certEvent({ scopeId: 'S-HZ' }),
      certEvent({ scopeId: 'S-ZJ', status: 'suspended', category: 'ct', effectiveFrom: mar }),
    ];
    expect(scopeStatusAt(events, 'S-ZJ', items.ctChest, jun)).toBe('suspended');
    expect(scopeStatusAt(events, 'S-ZJ', items.mriBrain, jun)).toBeNull();
    expect(scopeStatusAt(events, 'S-HZ', items.mriBrain, jun)).toBe('active');
  });
});

describe('certificationGate', () => {
  const active = (scopeId: string) => certEvent({ scopeId });
  const withStatus = (scopeId: string, status: CertificationEvent['status']) => certEvent({ scopeId, status });

  it.each([
    ['consortium', consortium],
    ['city', city],
    ['province', province],
    ['national', national],
  ] as const)('passes when active in a %s scope containing both hospitals', (_level, inScope) => {
    expect(gateOf([inScope], [active(inScope.id)])).toMatchObject({ passed: true, scopeIds: [inScope.id] });
  });

  it('passes across provinces in an alliance that lists the item, not for an item off its list', () => {
    expect(gateOf([alliance], [active('S-YRD')], shanghai).passed).toBe(true);
    const mri = certificationGate(
      { item: items.mriBrain, issuer, receiver: shanghai, scopes: [alliance], certifications: [active('S-YRD')] },
      PERFORMED_AT,
    );
    expect(mri.code).toBe('NR_ISSUER_NOT_CERTIFIED');
  });

  it('reports a scope mismatch when the receiver is outside every active scope', () => {
    expect(gateOf([consortium], [active('S-CONS')], hospital({ id: 'H-OTHER' })).code).toBe('NR_SCOPE_MISMATCH');
    expect(gateOf([city, province], [active('S-HZ')], hospital({ id: 'H-NB', city: 'Ningbo' })).code).toBe('NR_SCOPE_MISMATCH');
    expect(gateOf([alliance], [active('S-YRD')], receiver).code).toBe('NR_SCOPE_MISMATCH');
  });

  it('needs the issuer inside the scope as well', () => {
    const receiverOnly = scope({ id: 'S-CONS2', level: 'consortium', members: ['H-B'] });
    expect(gateOf([receiverOnly], [active('S-CONS2')]).code).toBe('NR_SCOPE_MISMATCH');
  });

  it('passes when active in one containing scope even if revoked in another', () => {
    expect(gateOf([city, province], [withStatus('S-HZ', 'revoked'), active('S-ZJ')]).passed).toBe(true);
  });

  it('puts revoked before suspended among the containing scopes', () => {
    expect(gateOf([city, province], [withStatus('S-HZ', 'suspended'), withStatus('S-ZJ', 'revoked')]).code).toBe('NR_ISSUER_REVOKED');
    expect(gateOf([city], [withStatus('S-HZ', 'suspended')]).code).toBe('NR_ISSUER_SUSPENDED');
  });

  it('puts a suspension inside before an active scope outside', () => {
    expect(gateOf([city, alliance], [withStatus('S-HZ', 'suspended'), active('S-YRD')]).code).toBe('NR_ISSUER_SUSPENDED');
  });

  it('falls back to revoked, suspended, then not certified outside the receiver', () => {
    const ningbo = hospital({ id: 'H-NB', city: 'Ningbo' });
    expect(gateOf([city, consortium], [withStatus('S-HZ', 'suspended'), withStatus('S-CONS', 'revoked')], ningbo).code).toBe(
      'NR_ISSUER_REVOKED',
    );
    expect(gateOf([city], [withStatus('S-HZ', 'suspended')], ningbo).code).toBe('NR_ISSUER_SUSPENDED');
    expect(gateOf([city], [], ningbo).code).toBe('NR_ISSUER_NOT_CERTIFIED');
  });

  it('ignores events of scopes it does not know or that do not cover the item', () => {
    expect(gateOf([province], [active('S-ELSEWHERE')]).code).toBe('NR_ISSUER_NOT_CERTIFIED');
    expect(gateOf([province], [certEvent({ category: 'mri' })]).code).toBe('NR_ISSUER_NOT_CERTIFIED');
    expect(gateOf([province], [certEvent({ category: 'ct' })]).passed).toBe(true);
  });
});

describe('certification in decide: status at performedAt, not now', () => {
  const judge = (certifications: CertificationEvent[]) =>
    decide(ruleSet(), makeFacts({ certifications }), NOW).gates.find((g) => g.gate === 'certification');

  it('recognises a result from while the issuer was active, though suspended now', () => {
    const suspendedSince = daysAfter(PERFORMED_AT, 1);
    const report = judge([certEvent(), certEvent({ status: 'suspended', effectiveFrom: suspendedSince, recordedAt: suspendedSince })]);
    expect(report?.passed).toBe(true);
  });

  it('refuses a result from before the issuer was certified, though certified now', () => {
    const certifiedSince = daysAfter(PERFORMED_AT, 1);
    expect(judge([certEvent({ effectiveFrom: certifiedSince, recordedAt: certifiedSince })])?.code).toBe('NR_ISSUER_NOT_CERTIFIED');
  });

  it('refuses a result from a suspension that has since been lifted', () => {
    const events = [
      certEvent(),
      certEvent({ status: 'suspended', effectiveFrom: daysAfter(PERFORMED_AT, -10) }),
      certEvent({ effectiveFrom: daysAfter(PERFORMED_AT, 2), recordedAt: daysAfter(PERFORMED_AT, 2) }),
    ];
    expect(judge(events)?.code).toBe('NR_ISSUER_SUSPENDED');
  });

  it('refuses, after a retroactive revocation, a result it used to recognise', () => {
    const before = [certEvent()];
    expect(judge(before)?.passed).toBe(true);
    // Recorded today for falsified data, effective from a month before the exam.
    const revocation = certEvent({ status: 'revoked', effectiveFrom: daysAfter(PERFORMED_AT, -30), recordedAt: NOW });
    expect(judge([...before, revocation])?.code).toBe('NR_ISSUER_REVOKED');
  });
});

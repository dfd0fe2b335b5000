// Certification timelines and the certification gate (see docs/domain.md, Certification gate).
// Exported for the registry too, so "status now" and the engine's "status at performedAt" agree.
import type { CatalogueItem, CertificationEvent, CertificationStatus, HospitalFacts, ReasonCode, ScopeFacts } from './types.ts';

export type Coverage = 'item' | 'category' | 'all';

type Located = Pick<HospitalFacts, 'id' | 'city' | 'province'>;
type ItemKey = Pick<CatalogueItem, 'code' | 'category'>;

/** Whether a hospital lies inside a scope: by membership (consortium, alliance) or location. */
export function scopeContains(scope: ScopeFacts, hospital: Located): boolean {
  switch (scope.level) {
    case 'consortium':
    case 'alliance':
      return scope.members?.includes(hospital.id) ?? false;
    case 'city':
      return scope.region !== null && hospital.city === scope.region && (!scope.province || hospital.province === scope.province);
    case 'province':
      return scope.region !== null && hospital.province === scope.region;
    case 'national':
      return true;
  }
}

/** A scope contains an (issuer, receiver) pair when both hospitals are inside it. */
export function scopeContainsPair(scope: ScopeFacts, issuer: Located, receiver: Located): boolean {
  return scopeContains(scope, issuer) && scopeContains(scope, receiver);
}

/** items null means the scope recognises every catalogue item. */
export function scopeHoldsItem(scope: ScopeFacts, itemCode: string): boolean {
  return scope.items === null || scope.items.includes(itemCode);
}

export function coverageOf(event: Pick<CertificationEvent, 'itemCode' | 'category'>): Coverage {
  if (event.itemCode !== null) return 'item';
  if (event.category !== null) return 'category';
  return 'all';
}

const specificity: Record<Coverage, number> = { item: 2, category: 1, all: 0 };

/** Whether an event applies to an item: the item itself, its category, or every item. */
export function eventCovers(event: Pick<CertificationEvent, 'itemCode' | 'category'>, item: ItemKey): boolean {
  switch (coverageOf(event)) {
    case 'item':
      return event.itemCode === item.code;
    case 'category':
      return event.category === item.category;
    case 'all':
      return true;
  }
}

/**
 * The status of a timeline at instant t: among events effective at or before t, the latest
 * effectiveFrom wins; ties go to the more specific coverage (item > category > all), then to the
 * later recordedAt, then to the graver status. recordedAt does not hide an event, so a revocation
 * recorded today with an earlier effectiveFrom changes the past. Null when nothing was in force at t.
 */
export function statusAt(events: readonly CertificationEvent[], t: Date): CertificationStatus | null {
  const at = t.getTime();
  let winner: CertificationEvent | null = null;
  for (const event of events) {
    if (!(event.effectiveFrom.getTime() <= at)) continue;
    if (winner === null || outranks(event, winner)) winner = event;
  }
  return winner?.status ?? null;
}

function outranks(a: CertificationEvent, b: CertificationEvent): boolean {
  const byEffective = a.effectiveFrom.getTime() - b.effectiveFrom.getTime();
  if (byEffective !== 0) return byEffective > 0;
  const bySpecificity = specificity[coverageOf(a)] - specificity[coverageOf(b)];
  if (bySpecificity !== 0) return bySpecificity > 0;
  const byRecorded = a.recordedAt.getTime() - b.recordedAt.getTime();
  if (byRecorded !== 0) return byRecorded > 0;
  // A full tie is a data error; resolve it conservatively so the answer never depends on event order.
  return severity[a.status] > severity[b.status];
}

const severity: Record<CertificationStatus, number> = { active: 0, suspended: 1, revoked: 2 };

/** The issuer's status for one item in one scope at t (e.g. the registry's "status now"). */
export function scopeStatusAt(events: readonly CertificationEvent[], scopeId: string, item: ItemKey, t: Date): CertificationStatus | null {
  return statusAt(
    events.filter((event) => event.scopeId === scopeId && eventCovers(event, item)),
    t,
  );
}

export interface CertificationFacts {
  item: ItemKey;
  issuer: Located;
  receiver: Located;
  scopes: readonly ScopeFacts[];
  /** The issuer's events. */
  certifications: readonly CertificationEvent[];
}

export interface ScopeStanding {
  scope: ScopeFacts;
  status: CertificationStatus | null;
  containsPair: boolean;
}

/** The issuer's standing at t in every scope whose item list holds the item. */
export function standingsAt(facts: CertificationFacts, t: Date): ScopeStanding[] {
  return facts.scopes
    .filter((scope) => scopeHoldsItem(scope, facts.item.code))
    .map((scope) => ({
      scope,
      status: scopeStatusAt(facts.certifications, scope.id, facts.item, t),
      containsPair: scopeContainsPair(scope, facts.issuer, facts.receiver),
    }));
}

export interface CertificationVerdict {
  passed: boolean;
  code?: ReasonCode;
  /** The scopes the verdict rests on. */
  scopeIds: string[];
  detail: string;
}

/** The certification gate at t (the result's performedAt), in the order of docs/domain.md, Certification gate. */
export function certificationGate(facts: CertificationFacts, t: Date): CertificationVerdict {
  const standings = standingsAt(facts, t);
  const inside = standings.filter((s) => s.containsPair);
  const having = (list: ScopeStanding[], status: CertificationStatus) => list.filter((s) => s.status === status);

  const activeInside = having(inside, 'active');
  if (activeInside.length > 0) return verdict(true, undefined, activeInside, 'active in');

  const revokedInside = having(inside, 'revoked');
  if (revokedInside.length > 0) return verdict(false, 'NR_ISSUER_REVOKED', revokedInside, 'revoked in');
  const suspendedInside = having(inside, 'suspended');
  if (suspendedInside.length > 0) return verdict(false, 'NR_ISSUER_SUSPENDED', suspendedInside, 'suspended in');

  const activeOutside = having(standings, 'active');
  if (activeOutside.length > 0) {
    return verdict(false, 'NR_SCOPE_MISMATCH', activeOutside, 'receiver outside; issuer active only in');
  }
  const revoked = having(standings, 'revoked');
  if (revoked.length > 0) return verdict(false, 'NR_ISSUER_REVOKED', revoked, 'revoked in');
  const suspended = having(standings, 'suspended');
  if (suspended.length > 0) return verdict(false, 'NR_ISSUER_SUSPENDED', suspended, 'suspended in');
  return { passed: false, code: 'NR_ISSUER_NOT_CERTIFIED', scopeIds: [], detail: 'no certification in force' };
}

function verdict(passed: boolean, code: ReasonCode | undefined, standings: ScopeStanding[], what: string): CertificationVerdict {
  const scopeIds = standings.map((s) => s.scope.id);
  const detail = `${what} ${scopeIds.join(', ')}`;
  return code === undefined ? { passed, scopeIds, detail } : { passed, code, scopeIds, detail };
}

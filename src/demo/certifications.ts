// The demo province's certification timelines, dated relative to `now`, and its hospital API clients.
import { hospitalScopes } from '../modules/auth/index.ts';
import type { Category, CertificationStatus } from '../modules/rules/index.ts';
import { allianceMembers, cityScopeIds, demoHospitals, tongluConsortium, type DemoHospital } from './hospitals.ts';

export interface DemoCertification {
  hospitalId: string;
  scopeId: string;
  itemCode: string | null;
  category: Category | null;
  status: CertificationStatus;
  effectiveFrom: Date;
  recordedAt: Date;
  note: string | null;
}

export interface DemoClient {
  clientId: string;
  hospitalId: string;
  /** Fixed and documented (docs/demo.md): demo data must never reach a production database. */
  secret: string;
  scopes: string[];
}

const DAY_MS = 86_400_000;

/** Township health centres take part through their county consortium only. */
const consortiumOnly = new Set<string>(tongluConsortium.filter((id) => id !== 'HZ-012'));
/** A community health centre whose laboratory passed EQA, but nothing else (yet). */
export const labOnlyClinic = 'HZ-011';
/** Revoked retroactively: EQA data found falsified. */
export const revokedHospital = 'WZ-008';

export function demoClientId(hospitalId: string): string {
  return `${hospitalId}-his`;
}

export function demoClientSecret(hospitalId: string): string {
  return `demo-${hospitalId}-secret`;
}

export function demoClients(hospitals: readonly DemoHospital[] = demoHospitals): DemoClient[] {
  return hospitals.map((h) => ({
    clientId: demoClientId(h.id),
    hospitalId: h.id,
    secret: demoClientSecret(h.id),
    scopes: [...hospitalScopes],
  }));
}

export function demoCertifications(now: Date, hospitals: readonly DemoHospital[] = demoHospitals): DemoCertification[] {
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const event = (
    hospitalId: string,
    scopeId: string,
    status: CertificationStatus,
    days: number,
    coverage: { itemCode?: string; category?: Category } = {},
    note: string | null = null,
    recordedDaysAgo = days,
  ): DemoCertification => ({
    hospitalId,
    scopeId,
    itemCode: coverage.itemCode ?? null,
    category: coverage.category ?? null,
    status,
    effectiveFrom: daysAgo(days),
    recordedAt: daysAgo(recordedDaysAgo),
    note,
  });

  const events: DemoCertification[] = [];
  // Two years of provincial and city certification (all items), so every demo result falls inside it.
  for (const h of hospitals) {
    if (h.province !== 'Zhejiang' || consortiumOnly.has(h.id)) continue;
    const scopeId = cityScopeIds[h.city as keyof typeof cityScopeIds];
    const coverage = h.id === labOnlyClinic ? { category: 'lab' as const } : {};
    const note = h.id === labOnlyClinic ? 'Laboratory passed provincial EQA' : 'Passed provincial EQA';
    events.push(event(h.id, 'ZJ', 'active', 730, coverage, note), event(h.id, scopeId, 'active', 730, coverage, note));
  }
  for (const id of tongluConsortium) events.push(event(id, 'TL-CONSORTIUM', 'active', 700, {}, 'County medical community founded'));
  for (const id of allianceMembers) events.push(event(id, 'YRD', 'active', 540, {}, 'Yangtze River Delta alliance accession'));
  for (const h of hospitals) {
    if (h.tier === 'tertiary' && h.grade === 'A') events.push(event(h.id, 'NATIONAL', 'active', 300, {}, 'National common items pilot'));
  }

  // Failed external quality assessments (室间质评): a category suspended in the province and the city.
  const suspend = (hospitalId: string, city: string, days: number, coverage: { itemCode?: string; category?: Category }, note: string) =>
    ['ZJ', city].map((scopeId) => event(hospitalId, scopeId, 'suspended', days, coverage, note));
  events.push(
    ...suspend('NB-006', 'NB', 60, { category: 'ct' }, 'Failed CT image-quality EQA'),
    ...suspend('WZ-004', 'WZ', 120, { category: 'lab' }, 'Failed clinical chemistry EQA'),
    // Re-assessed and passed: results performed inside the suspension stay unrecognisable.
    ...['ZJ', 'WZ'].map((scopeId) => event('WZ-004', scopeId, 'active', 30, { category: 'lab' }, 'Passed EQA re-assessment')),
    ...suspend('SX-007', 'SX', 20, { category: 'ultrasound' }, 'Failed ultrasound EQA'),
    ...suspend('HZ-008', 'HZ', 90, { itemCode: 'LAB-HBA1C' }, 'HbA1c EQA out of tolerance'),
  );
  // Falsified EQA data, found out a month ago: revoked back to 200 days ago, so results performed
  // since then are no longer recognisable anywhere, although they were when performed.
  for (const scopeId of ['ZJ', 'WZ']) {
    events.push(
      event(
        revokedHospital,
        scopeId,
        'revoked',
        200,
        {},
        'EQA data falsified; revoked retroactively by the provincial health commission',
        30,
      ),
    );
  }
  return events;
}

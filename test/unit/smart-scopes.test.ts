import { describe, expect, it } from 'vitest';
import {
  advertisedSmartScopes,
  effectiveScopes,
  parseSmartScope,
  scopesOfSmartScope,
  smartPermits,
} from '../../src/modules/auth/smart-scopes.ts';

describe('SMART system scopes', () => {
  it('reads v2 permissions and v1 read/write/*', () => {
    expect(parseSmartScope('system/DiagnosticReport.rs')).toEqual({ resourceType: 'DiagnosticReport', permissions: new Set(['r', 's']) });
    expect(parseSmartScope('system/*.cruds')).toEqual({ resourceType: '*', permissions: new Set(['c', 'r', 'u', 'd', 's']) });
    expect(parseSmartScope('system/ImagingStudy.read')).toEqual({ resourceType: 'ImagingStudy', permissions: new Set(['r', 's']) });
    expect(parseSmartScope('system/Observation.write')).toEqual({ resourceType: 'Observation', permissions: new Set(['c', 'u', 'd']) });
    expect(parseSmartScope('system/*.*')).toEqual({ resourceType: '*', permissions: new Set(['c', 'r', 'u', 'd', 's']) });
  });

  it('refuses what it does not grant: other types, other orders, granular scopes, user and patient scopes', () => {
    for (const scope of [
      'system/Patient.rs',
      'system/DiagnosticReport.sr',
      'system/DiagnosticReport.',
      'system/DiagnosticReport.rs?category=LAB',
      'user/DiagnosticReport.rs',
      'patient/*.read',
    ]) {
      expect(parseSmartScope(scope), scope).toHaveProperty('refused');
      expect(scopesOfSmartScope(scope), scope).toEqual([]);
    }
  });

  it('maps reading onto results:read and writing onto results:write', () => {
    expect(scopesOfSmartScope('system/DiagnosticReport.rs')).toEqual(['results:read']);
    expect(scopesOfSmartScope('system/DiagnosticReport.c')).toEqual(['results:write']);
    expect(scopesOfSmartScope('system/ImagingStudy.read')).toEqual(['results:read']);
    expect(scopesOfSmartScope('system/Observation.c')).toEqual(['results:write']);
    expect(scopesOfSmartScope('system/*.write')).toEqual(['results:write']);
    expect(scopesOfSmartScope('system/*.cruds').sort()).toEqual(['results:read', 'results:write']);
  });

  it("gives a token's SMART scopes effect only while the client holds what they map onto", () => {
    const token = ['system/DiagnosticReport.rs', 'system/DiagnosticReport.c', 'reports:read', 'admin'];
    const fhir = { fhir: true };
    expect([...effectiveScopes(token, ['results:read', 'reports:read'], fhir)].sort()).toEqual([
      'reports:read',
      'results:read',
      'system/DiagnosticReport.rs',
    ]);
    expect([...effectiveScopes(token, [], fhir)]).toEqual([]);
    expect([...effectiveScopes(['system/Patient.rs'], ['results:read'], fhir)]).toEqual([]);
  });

  it('gives SMART scopes no effect outside the FHIR API', () => {
    const token = ['system/ImagingStudy.rs', 'system/*.cruds', 'reports:read'];
    expect([...effectiveScopes(token, ['results:read', 'results:write', 'reports:read'], { fhir: false })]).toEqual(['reports:read']);
  });

  it('holds a SMART token to its resource types and permissions; a token of service scopes only is not narrowed', () => {
    const smart = new Set(['system/ImagingStudy.rs', 'system/DiagnosticReport.c', 'results:read', 'results:write']);
    expect(smartPermits(smart, 'ImagingStudy', 's')).toBe(true);
    expect(smartPermits(smart, 'DiagnosticReport', 's')).toBe(false);
    expect(smartPermits(smart, 'DiagnosticReport', 'c')).toBe(true);
    expect(smartPermits(smart, 'DiagnosticReport', 'u')).toBe(false);
    expect(smartPermits(new Set(['system/*.cu']), 'Observation', 'u')).toBe(true);
    expect(smartPermits(new Set(['results:read']), 'DiagnosticReport', 's')).toBe(true);
  });

  it('advertises only scopes it grants', () => {
    for (const scope of advertisedSmartScopes) expect(scopesOfSmartScope(scope).length, scope).toBeGreaterThan(0);
    expect(advertisedSmartScopes).toEqual(
      expect.arrayContaining([
        'system/DiagnosticReport.rs',
        'system/DiagnosticReport.c',
        'system/ImagingStudy.rs',
        'system/Observation.c',
        'system/*.rs',
      ]),
    );
  });
});

// SMART Backend Services scopes (SMART App Launch 2, "system/" scopes, v1 and v2 syntax) as the
// service's own scopes: the one place that says which SMART scope stands for what. The token endpoint
// grants a SMART scope when the client holds every scope it maps onto; the auth plugin turns the SMART
// scopes of a token into those scopes again on each request to the FHIR API (and ignores them on every
// other route); the FHIR API narrows by resource type.
import type { Scope } from './actor.ts';

/** The resource types a SMART scope may name here (or `*`): the ones the FHIR API reads or accepts. */
export const smartResourceTypes = ['DiagnosticReport', 'ImagingStudy', 'Observation'] as const;
export type SmartResourceType = (typeof smartResourceTypes)[number];

/** SMART v2 permissions: create, read, update, delete, search. */
export type SmartPermission = 'c' | 'r' | 'u' | 'd' | 's';

export interface SmartScope {
  resourceType: SmartResourceType | '*';
  permissions: ReadonlySet<SmartPermission>;
}

/**
 * Reading (r, s) is `results:read`: a patient's results, searched for a doctor. Writing (c, u, d) is
 * `results:write`: the hospital's own results submitted, amended or withdrawn (a withdrawal is a new
 * version marked entered-in-error, never a deletion).
 */
const permissionScopes: Record<SmartPermission, Scope> = {
  c: 'results:write',
  r: 'results:read',
  u: 'results:write',
  d: 'results:write',
  s: 'results:read',
};

// v1: read, write or *; v2: a non-empty subset of c r u d s, in that order. No granular (?param=) scopes.
const smartScopePattern = /^system\/(\*|[A-Za-z]+)\.(read|write|\*|c?r?u?d?s?)$/;
const v1Permissions: Record<string, SmartPermission[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };

/** True for anything shaped like a SMART system scope, supported or not. */
export const isSmartScope = (scope: string) => scope.startsWith('system/');

/** A SMART system scope this service grants, or an explanation of why it does not. */
export function parseSmartScope(scope: string): SmartScope | { refused: string } {
  const match = smartScopePattern.exec(scope);
  if (!match || match[2] === '') return { refused: `${scope} is not a SMART system scope this service grants (system/<type>.<cruds>)` };
  const [, resourceType, permissions] = match;
  if (resourceType !== '*' && !(smartResourceTypes as readonly string[]).includes(resourceType)) {
    return { refused: `${scope}: SMART scopes are granted for ${smartResourceTypes.join(', ')} or *` };
  }
  const granted = v1Permissions[permissions] ?? (permissions.split('') as SmartPermission[]);
  return { resourceType: resourceType as SmartScope['resourceType'], permissions: new Set(granted) };
}

/** The service scopes one SMART scope maps onto (empty for anything this service does not grant). */
export function scopesOfSmartScope(scope: string): Scope[] {
  const parsed = parseSmartScope(scope);
  if ('refused' in parsed) return [];
  return [...new Set([...parsed.permissions].map((p) => permissionScopes[p]))];
}

/**
 * The scopes a token's scope claim stands for, given the scopes its client holds now: each service
 * scope it names, and on the FHIR API (`fhir`) each SMART scope whose service scopes the client still
 * holds, with those service scopes. Elsewhere SMART scopes count for nothing: they are narrowed by
 * resource type only where resource types exist, so `system/ImagingStudy.rs` must not open the REST
 * search of every result. A scope withdrawn from the client stops working at once, whichever way it
 * was granted.
 */
export function effectiveScopes(tokenScopes: readonly string[], clientScopes: readonly string[], { fhir }: { fhir: boolean }): Set<string> {
  const effective = new Set<string>();
  for (const scope of tokenScopes) {
    if (!isSmartScope(scope)) {
      if (clientScopes.includes(scope)) effective.add(scope);
      continue;
    }
    if (!fhir) continue;
    const mapped = scopesOfSmartScope(scope);
    if (mapped.length === 0 || !mapped.every((s) => clientScopes.includes(s))) continue;
    effective.add(scope);
    for (const s of mapped) effective.add(s);
  }
  return effective;
}

/**
 * Whether a caller may perform `permission` on `resourceType` through the FHIR API. A token that
 * carries SMART scopes is held to them, resource type by resource type; a token with service scopes
 * only was already checked by the route's `config.scopes`.
 */
export function smartPermits(scopes: ReadonlySet<string>, resourceType: string, permission: SmartPermission): boolean {
  const smart = [...scopes].filter(isSmartScope);
  if (smart.length === 0) return true;
  return smart.some((scope) => {
    const parsed = parseSmartScope(scope);
    return (
      !('refused' in parsed) && (parsed.resourceType === '*' || parsed.resourceType === resourceType) && parsed.permissions.has(permission)
    );
  });
}

/** The SMART scopes discovery advertises: the usual ones of each resource type, v2 and v1. Others of the same grammar work too. */
export const advertisedSmartScopes: readonly string[] = ['*', ...smartResourceTypes].flatMap((type) =>
  ['c', 'cu', 'rs', 'cruds', 'read', 'write'].map((permissions) => `system/${type}.${permissions}`),
);

/** OAuth scopes. `admin` is the health commission; the others are granted to hospital clients. */
export const hospitalScopes = ['results:write', 'results:read', 'recognition', 'reports:read'] as const;
export const allScopes = ['admin', ...hospitalScopes] as const;
export type Scope = (typeof allScopes)[number];

import type { RequestOrigin } from '../audit/trail.ts';

/** Who is calling: one per authenticated request, checked in one place (plugins/auth.ts). */
export interface Actor {
  clientId: string;
  /** The hospital a hospital client always acts as; null for administrators. */
  hospitalId: string | null;
  scopes: ReadonlySet<string>;
  isAdmin: boolean;
  /** Where this request came from, for the audit trail. */
  origin: RequestOrigin;
}

/** OAuth scopes. `admin` is the health commission; the others are granted to hospital clients. */
export const hospitalScopes = ['results:write', 'results:read', 'recognition', 'reports:read'] as const;
export const allScopes = ['admin', ...hospitalScopes] as const;
export type Scope = (typeof allScopes)[number];

import { Forbidden } from '../../errors.ts';
import type { RequestOrigin } from '../audit/index.ts';

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

/** A hospital client may act only as its own hospital; administrators may act for any. */
export function assertHospital(actor: Actor, hospitalId: string): void {
  if (actor.isAdmin) return;
  if (actor.hospitalId !== hospitalId)
    throw new Forbidden(`This client acts for hospital ${actor.hospitalId ?? '(none)'}, not ${hospitalId}`);
}

/** The hospital a hospital-only operation acts as (a token's hospital). */
export function actingHospital(actor: Actor): string {
  if (!actor.hospitalId) throw new Forbidden('This operation is for hospital clients; administrators have no hospital');
  return actor.hospitalId;
}

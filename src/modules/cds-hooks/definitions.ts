// The CDS Services this exchange offers (CDS Hooks 2.0 discovery), and the code systems its cards use.
import { declineCodes, declineMeanings, type DeclineCode, type Locale } from '../rules/index.ts';

export const cdsHooks = ['order-select', 'order-sign'] as const;
export type CdsHook = (typeof cdsHooks)[number];

export interface CdsServiceDefinition {
  id: string;
  hook: CdsHook;
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements: string;
}

/** The prefetch key the service reads the patient from. */
export const patientPrefetchKey = 'patient';

const usageRequirements =
  'Authenticate every call with a JWT signed by a hospital client registered with its JWKS (iss = the client id, aud = this ' +
  'service’s URL, jti, exp at most five minutes ahead). Prefetch the Patient with a resident ID (urn:oid:2.16.156.10011.1.3) ' +
  'or passport identifier. Code draft ServiceRequests with catalogue codes, the catalogue’s LOINC codes, or the hospital’s local codes.';

export const cdsServices: readonly CdsServiceDefinition[] = [
  {
    id: 'mutual-recognition-order-select',
    hook: 'order-select',
    title: 'Mutual recognition: prior results for the selected orders',
    description:
      'When a clinician selects a test or imaging order, shows each recognisable prior result of the patient from the ' +
      'recognition exchange (mutual recognition of examination and test results), with the savings of not repeating it ' +
      'and a suggestion to remove the order.',
    prefetch: { [patientPrefetchKey]: 'Patient/{{context.patientId}}' },
    usageRequirements,
  },
  {
    id: 'mutual-recognition-order-sign',
    hook: 'order-sign',
    title: 'Mutual recognition: prior results before signing',
    description:
      'Before a clinician signs test or imaging orders, shows each recognisable prior result of the patient from the ' +
      'recognition exchange for every draft order, with the savings of not repeating it and a suggestion to remove the order.',
    prefetch: { [patientPrefetchKey]: 'Patient/{{context.patientId}}' },
    usageRequirements,
  },
];

export const cdsServiceIds = cdsServices.map((s) => s.id) as [string, ...string[]];

export function cdsService(id: string): CdsServiceDefinition | undefined {
  return cdsServices.find((s) => s.id === id);
}

/** The decline codes D1–D10 as override reasons: a card's `overrideReasons` and the feedback's `overrideReason.reason`. */
export const declineReasonSystem = 'https://mutual-recognition.dev/fhir/CodeSystem/decline-reason';

export function overrideReasons(locale: Locale) {
  return declineCodes.map((code) => ({ system: declineReasonSystem, code, display: declineMeanings[code][locale] }));
}

export function isDeclineCode(code: string): code is DeclineCode {
  return (declineCodes as readonly string[]).includes(code);
}

/** How the exchange names itself as the source of its cards. */
export const sourceLabel: Record<Locale, string> = { en: 'Mutual Recognition Exchange', zh: '检查检验结果互认平台' };

// How catalogue items are named in FHIR: the code systems this service reads and writes, and the item
// a FHIR coded concept names for a hospital (its catalogue code, its local code, or a LOINC code the
// catalogue lists for it).
import type { CatalogueItem } from '../rules/index.ts';
import type { RegistrySnapshot } from './snapshot.ts';

/** The exchange's catalogue codes (the items' recognition codes, e.g. CT-CHEST). */
export const itemCodeSystem = 'https://mutual-recognition.dev/fhir/CodeSystem/item';
/** A hospital's local codes, as its code map maps them: this prefix followed by the hospital id. */
export const localCodeSystemPrefix = 'https://mutual-recognition.dev/fhir/CodeSystem/local-code/';
export const localCodeSystem = (hospitalId: string) => `${localCodeSystemPrefix}${hospitalId}`;
export const loincSystem = 'http://loinc.org';

/** The parts of a FHIR Coding read here. */
export interface FhirCoding {
  system?: string;
  code?: string;
}

/** What a coded concept names: the code a recognition check is asked with, and its catalogue item. */
export interface CodedItem {
  /** A catalogue code, or the hospital's local code (a check resolves it through the code map). */
  requestedCode: string;
  item: CatalogueItem;
}

// LOINC code → item codes, per catalogue map (a snapshot carries an unchanged catalogue over, map and all).
const loincIndexes = new WeakMap<RegistrySnapshot['items'], Map<string, string[]>>();

function loincIndex(items: RegistrySnapshot['items']): Map<string, string[]> {
  let index = loincIndexes.get(items);
  if (!index) {
    index = new Map();
    for (const item of items.values()) {
      for (const loinc of item.loinc ?? []) index.set(loinc, [...(index.get(loinc) ?? []), item.code]);
    }
    loincIndexes.set(items, index);
  }
  return index;
}

/**
 * The catalogue item a concept's codings name for `hospitalId`: a catalogue code first, then one of
 * the hospital's local codes (under its own system only, so another hospital's code never matches),
 * then a LOINC code that exactly one catalogue item lists. Null when none does.
 */
export function itemForCodings(
  registry: RegistrySnapshot,
  hospitalId: string,
  codings: readonly FhirCoding[] | undefined,
): CodedItem | null {
  const named = (codings ?? []).filter((c): c is { system: string; code: string } => typeof c.code === 'string' && c.code !== '');
  for (const coding of named.filter((c) => c.system === itemCodeSystem)) {
    const item = registry.items.get(coding.code);
    if (item) return { requestedCode: item.code, item };
  }
  for (const coding of named.filter((c) => c.system === localCodeSystem(hospitalId))) {
    const item = registry.items.get(registry.codeMaps.get(`${hospitalId}\u0000${coding.code}`) ?? '');
    // A check reads a code that is also a catalogue code as the catalogue code: ask with the mapped one then.
    if (item) return { requestedCode: registry.items.has(coding.code) ? item.code : coding.code, item };
  }
  for (const coding of named.filter((c) => c.system === loincSystem)) {
    const codes = loincIndex(registry.items).get(coding.code) ?? [];
    const item = codes.length === 1 ? registry.items.get(codes[0]) : undefined;
    if (item) return { requestedCode: item.code, item };
  }
  return null;
}

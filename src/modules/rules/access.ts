/**
 * Gate 1, checked once per request before any result is looked at: prior results are disclosed
 * only for the patient's treatment. Answers why not, or null when the purpose permits it.
 */
export const disclosurePurpose = 'treatment';

export function purposeRefusal(purpose: string): string | null {
  return purpose === disclosurePurpose ? null : `Prior results are disclosed only for the purpose "${disclosurePurpose}", not "${purpose}"`;
}

import type { CatalogueItem, HospitalFacts, ResultFacts } from '../rules/index.ts';

/** A prior result a check considers, with its item and issuer from the registry snapshot. */
export interface CandidateRow {
  result: ResultFacts;
  resultItem: CatalogueItem;
  issuer: HospitalFacts;
}

/** A candidate as the check stores it: the engine's verdict and the savings it would bring. */
export interface StoredCandidate {
  itemCode: string;
  resultId: string;
  issuingHospitalId: string;
  outcome: string;
  retestPermitted: boolean;
  reasons: string[];
  advisories: string[];
  yuan: number;
  minutes: number;
  radiationMsv: number;
}

import { smartConfiguration } from '../auth/index.ts';
import type { RegistrySnapshots } from '../registry/index.ts';
import type { ResultService } from '../results/index.ts';
import { capabilityStatement } from './capability.ts';
import { createRead } from './read.ts';
import { createSearch } from './search.ts';
import { createTransactions } from './transaction.ts';

export interface FhirServiceDeps {
  results: ResultService;
  snapshots: RegistrySnapshots;
  /** The service's public URL: the issuer of its tokens; the FHIR base is below it. */
  issuer: string;
}

export const fhirBasePath = '/fhir/r4';

/** The FHIR R4 API over the results service: transactions and batches in, searches and reads by id out. */
export function createFhirService({ results, snapshots, issuer }: FhirServiceDeps) {
  const baseUrl = `${issuer}${fhirBasePath}`;
  const registry = () => snapshots.fresh();
  return {
    transact: createTransactions({ results, registry }),
    search: createSearch({ results, registry, baseUrl }),
    read: createRead({ results, registry }),
    capabilities: capabilityStatement(baseUrl, issuer),
    smartConfiguration: smartConfiguration(issuer),
  };
}

export type FhirService = ReturnType<typeof createFhirService>;

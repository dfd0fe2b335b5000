import type { Database } from '../../db/database.ts';
import { smartConfiguration } from '../auth/index.ts';
import { registryVersionQuery, type RegistrySnapshot, type RegistrySnapshots } from '../registry/index.ts';
import type { ResultService } from '../results/index.ts';
import { capabilityStatement } from './capability.ts';
import { createRead } from './read.ts';
import { createSearch } from './search.ts';
import { createTransactions } from './transaction.ts';

export interface FhirServiceDeps {
  db: Database;
  results: ResultService;
  snapshots: RegistrySnapshots;
  /** The service's public URL: the issuer of its tokens; the FHIR base is below it. */
  issuer: string;
}

export const fhirBasePath = '/fhir/r4';

/** The FHIR R4 API over the results service: transactions and batches in, searches and reads by id out. */
export function createFhirService({ db, results, snapshots, issuer }: FhirServiceDeps) {
  const baseUrl = `${issuer}${fhirBasePath}`;
  /** The registry as it stands: the snapshot held, read again when the database has a newer version. */
  async function registry(): Promise<RegistrySnapshot> {
    const held = await snapshots.current();
    const { version } = await registryVersionQuery(db).executeTakeFirstOrThrow();
    return version > held.version ? snapshots.newerThan(held.version) : held;
  }
  return {
    transact: createTransactions({ results, registry }),
    search: createSearch({ results, registry, baseUrl }),
    read: createRead({ results, registry }),
    capabilities: capabilityStatement(baseUrl, issuer),
    smartConfiguration: smartConfiguration(issuer),
  };
}

export type FhirService = ReturnType<typeof createFhirService>;

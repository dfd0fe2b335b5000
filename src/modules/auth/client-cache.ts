import type { Database, DatabaseHandle } from '../../db/database.ts';
import { findClient, findClientIdByCdsIssuer, type ClientRow } from './clients-repository.ts';

export type ClientLookup = ReturnType<typeof createClientCache>;

const maxEntries = 10_000;

/**
 * The clients that bearer tokens name, kept in memory so a request does not read its client row.
 * A change to a client row (disabled, scopes changed, deleted) is announced by a trigger
 * (NOTIFY client_changes) to every instance, which drops the row; while the listening connection
 * is down nothing is cached and every lookup reads the database, so a disabled client is refused
 * at once either way.
 */
export function createClientCache(db: Database, listen: DatabaseHandle['listen']) {
  const rows = new Map<string, ClientRow>();
  /** CDS issuer → client id, for the clients registered with one. */
  const issuers = new Map<string, string>();
  let listening = false;
  // Bumped by every change: a row read before a change is not cached after it.
  let generation = 0;
  let stop: (() => Promise<void>) | null = null;
  const changed = () => {
    generation += 1;
    rows.clear();
    issuers.clear();
  };
  const forget = (clientId: string) => {
    generation += 1;
    rows.delete(clientId);
    for (const [issuer, id] of issuers) if (id === clientId) issuers.delete(issuer);
  };

  return {
    async start() {
      stop = await listen('client_changes', forget, (now) => {
        changed();
        listening = now;
      });
    },
    /** Drops a client this instance has just changed (the announcement reaches the others). */
    forget,
    async stop() {
      listening = false;
      changed();
      // Nothing to undo when the database was closed first.
      await stop?.().catch(() => {});
    },
    /** The client whose CDS Hooks JWTs carry this `iss` (registered as its CDS issuer). */
    async findByCdsIssuer(issuer: string): Promise<ClientRow | undefined> {
      const known = issuers.get(issuer);
      if (known) return this.find(known);
      const before = generation;
      const clientId = await findClientIdByCdsIssuer(db, issuer);
      if (clientId === undefined) return undefined;
      if (listening && generation === before) {
        if (issuers.size >= maxEntries) issuers.delete(issuers.keys().next().value!);
        issuers.set(issuer, clientId);
      }
      return this.find(clientId);
    },
    async find(clientId: string): Promise<ClientRow | undefined> {
      const cached = rows.get(clientId);
      if (cached) return cached;
      const before = generation;
      const row = await findClient(db, clientId);
      if (row && listening && generation === before) {
        if (rows.size >= maxEntries) rows.delete(rows.keys().next().value!);
        rows.set(clientId, row);
      }
      return row;
    },
  };
}

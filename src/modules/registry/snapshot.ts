import { type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { currentRuleSet } from '../settings/index.ts';
import { catalogueItem, hospitalFacts, scopeFacts } from './mappers.ts';
import type { CatalogueItem, CertificationEvent, HospitalFacts, RuleSet, ScopeFacts } from '../rules/index.ts';

/** Everything a check reads from the registry, as of one `registry_version`. */
export interface RegistrySnapshot {
  version: number;
  /** Each registry table's own version, as of `version`: a reload reads only the tables that moved. */
  tableVersions: Map<string, number>;
  ruleSet: RuleSet;
  hospitals: Map<string, HospitalFacts>;
  items: Map<string, CatalogueItem>;
  /** `${hospitalId}\u0000${localCode}` → catalogue code. */
  codeMaps: Map<string, string>;
  scopes: ScopeFacts[];
  certifications: Map<string, CertificationEvent[]>;
}

export type RegistrySnapshots = ReturnType<typeof createRegistrySnapshots>;

/**
 * The registry held in memory by each instance. `current()` answers from memory; `newerThan(v)`
 * returns a snapshot of a version above `v`, reading the registry again (in one repeatable-read
 * transaction with its versions; only the tables whose version moved, the rest carried over from the
 * last snapshot) unless a read already under way yields one: concurrent checks that find the
 * registry changed share one reload.
 */
export function createRegistrySnapshots(db: Database) {
  let held: Promise<RegistrySnapshot> | null = null;
  let last: RegistrySnapshot | null = null;
  const load = () => {
    const loading = readSnapshot(db, last);
    held = loading;
    loading.then(
      (snapshot) => {
        if (!last || snapshot.version > last.version) last = snapshot;
      },
      () => {
        if (held === loading) held = null;
      },
    );
    return loading;
  };
  const current = () => held ?? load();
  async function newerThan(version: number): Promise<RegistrySnapshot> {
    let pending = held ?? load();
    let latest = await pending;
    while (latest.version <= version) {
      // Share a read another caller has started since; otherwise read the registry now.
      pending = held && held !== pending ? held : load();
      latest = await pending;
    }
    return latest;
  }
  return {
    current,
    newerThan,
    /**
     * The registry as it stands: the snapshot held, read again when the database has a newer version
     * (one query for the version). For readers outside a check's or a decision's transaction, which
     * hold the version themselves: a change made by another instance, or in the database, is seen at once.
     */
    async fresh(): Promise<RegistrySnapshot> {
      const snapshot = await current();
      const { version } = await registryVersionQuery(db).executeTakeFirstOrThrow();
      return version > snapshot.version ? newerThan(snapshot.version) : snapshot;
    },
  };
}

type Reader = Transaction<DB>;

async function readHospitals(trx: Reader): Promise<Map<string, HospitalFacts>> {
  const hospitals = await trx.selectFrom('hospitals').select(['id', 'name', 'tier', 'province', 'city', 'price_tier']).execute();
  return new Map(hospitals.map((h) => [h.id, hospitalFacts(h)]));
}

async function readItems(trx: Reader): Promise<Map<string, CatalogueItem>> {
  const items = await trx.selectFrom('items').selectAll().execute();
  return new Map(items.map((i) => [i.code, catalogueItem(i)]));
}

async function readCodeMaps(trx: Reader): Promise<Map<string, string>> {
  const codeMaps = await trx.selectFrom('code_maps').select(['hospital_id', 'local_code', 'item_code']).execute();
  return new Map(codeMaps.map((m) => [`${m.hospital_id}\u0000${m.local_code}`, m.item_code]));
}

async function readScopes(trx: Reader): Promise<ScopeFacts[]> {
  return (await trx.selectFrom('scopes').selectAll().execute()).map(scopeFacts);
}

async function readCertifications(trx: Reader): Promise<Map<string, CertificationEvent[]>> {
  const events = await trx
    .selectFrom('certification_events')
    .select(['id', 'hospital_id', 'scope_id', 'item_code', 'category', 'status', 'effective_from', 'recorded_at'])
    .orderBy('id')
    .execute();
  const certifications = new Map<string, CertificationEvent[]>();
  for (const e of events) {
    const list = certifications.get(e.hospital_id) ?? certifications.set(e.hospital_id, []).get(e.hospital_id)!;
    list.push({
      id: e.id,
      scopeId: e.scope_id,
      itemCode: e.item_code,
      category: e.category as CertificationEvent['category'],
      status: e.status as CertificationEvent['status'],
      effectiveFrom: e.effective_from,
      recordedAt: e.recorded_at,
    });
  }
  return certifications;
}

async function readSnapshot(db: Database, previous: RegistrySnapshot | null): Promise<RegistrySnapshot> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute((trx) => readRegistry(trx, previous));
}

/**
 * The registry as the given transaction sees it, with its version: for a transaction that must judge
 * with what it is about to commit (a certification event and the recalls it causes). Tables whose
 * version equals the previous snapshot's are carried over from it.
 */
export async function readRegistry(trx: Reader, previous: RegistrySnapshot | null = null): Promise<RegistrySnapshot> {
  const { version } = await trx.selectFrom('registry_version').select('version').executeTakeFirstOrThrow();
  const rows = await trx.selectFrom('registry_table_versions').select(['table_name', 'version']).execute();
  const tableVersions = new Map(rows.map((r) => [r.table_name, r.version]));
  /** A table's part of the previous snapshot while its version stands; read again otherwise. */
  const part = async <T>(table: string, read: (trx: Reader) => Promise<T>, kept: (s: RegistrySnapshot) => T): Promise<T> => {
    const current = tableVersions.get(table);
    return previous && current !== undefined && previous.tableVersions.get(table) === current ? kept(previous) : read(trx);
  };
  return {
    version,
    tableVersions,
    ruleSet: await part('rule_sets', currentRuleSet, (s) => s.ruleSet),
    hospitals: await part('hospitals', readHospitals, (s) => s.hospitals),
    items: await part('items', readItems, (s) => s.items),
    codeMaps: await part('code_maps', readCodeMaps, (s) => s.codeMaps),
    scopes: await part('scopes', readScopes, (s) => s.scopes),
    certifications: await part('certification_events', readCertifications, (s) => s.certifications),
  };
}

/** The registry's version now, as a sub-query another statement can read in its own snapshot. */
export function registryVersionQuery(db: Kysely<DB> | Transaction<DB>) {
  return db.selectFrom('registry_version').select('version');
}

/**
 * The registry's version, holding it until the transaction ends: every registry change raises the
 * version, so none can commit before this transaction does, and what it judged stays true until then.
 */
export async function holdRegistryVersion(trx: Transaction<DB>): Promise<number> {
  const { version } = await trx.selectFrom('registry_version').select('version').forShare().executeTakeFirstOrThrow();
  return version;
}

import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { catalogueItem, hospitalFacts, scopeFacts } from '../registry/mappers.ts';
import type { TierPolicy } from '../rules/codes.ts';
import type { CatalogueItem, CertificationEvent, HospitalFacts, RuleSet, ScopeFacts } from '../rules/types.ts';

/** Everything a check reads from the registry, as of one `registry_version`. */
export interface RegistrySnapshot {
  version: number;
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
 * returns a snapshot of a version above `v`, reading the registry again (all tables in one
 * repeatable-read transaction with their version) unless a read already under way yields one:
 * concurrent checks that find the registry changed share one reload.
 */
export function createRegistrySnapshots(db: Database) {
  let held: Promise<RegistrySnapshot> | null = null;
  const load = () => {
    const loading = readSnapshot(db);
    held = loading;
    loading.catch(() => {
      if (held === loading) held = null;
    });
    return loading;
  };
  return {
    current: () => held ?? load(),
    async newerThan(version: number): Promise<RegistrySnapshot> {
      let pending = held ?? load();
      let latest = await pending;
      while (latest.version <= version) {
        // Share a read another caller has started since; otherwise read the registry now.
        pending = held && held !== pending ? held : load();
        latest = await pending;
      }
      return latest;
    },
  };
}

async function readSnapshot(db: Database): Promise<RegistrySnapshot> {
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const [{ version }] = (await sql<{ version: number }>`select version from registry_version`.execute(trx)).rows;
    const rules = await trx.selectFrom('rule_sets').select(['version', 'tier_direction', 'lookback_days']).orderBy('version', 'desc').limit(1).executeTakeFirstOrThrow();
    const hospitals = await trx.selectFrom('hospitals').select(['id', 'name', 'tier', 'province', 'city', 'price_tier']).execute();
    const items = await trx.selectFrom('items').selectAll().execute();
    const codeMaps = await trx.selectFrom('code_maps').select(['hospital_id', 'local_code', 'item_code']).execute();
    const scopes = await trx.selectFrom('scopes').selectAll().execute();
    const events = await trx
      .selectFrom('certification_events')
      .select(['hospital_id', 'scope_id', 'item_code', 'category', 'status', 'effective_from', 'recorded_at'])
      .orderBy('id')
      .execute();
    const certifications = new Map<string, CertificationEvent[]>();
    for (const e of events) {
      const list = certifications.get(e.hospital_id) ?? certifications.set(e.hospital_id, []).get(e.hospital_id)!;
      list.push({
        scopeId: e.scope_id,
        itemCode: e.item_code,
        category: e.category as CertificationEvent['category'],
        status: e.status as CertificationEvent['status'],
        effectiveFrom: e.effective_from,
        recordedAt: e.recorded_at,
      });
    }
    return {
      version,
      ruleSet: { version: rules.version, tierDirection: rules.tier_direction as TierPolicy, lookbackDays: rules.lookback_days },
      hospitals: new Map(hospitals.map((h) => [h.id, hospitalFacts(h)])),
      items: new Map(items.map((i) => [i.code, catalogueItem(i)])),
      codeMaps: new Map(codeMaps.map((m) => [`${m.hospital_id}\u0000${m.local_code}`, m.item_code])),
      scopes: scopes.map(scopeFacts),
      certifications,
    };
  });
}

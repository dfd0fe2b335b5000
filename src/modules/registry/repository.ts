import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { DB, Hospitals, Items, Scopes, CertificationEvents } from '../../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;
/** A hospital as the registry shows it (its number is internal, the key of the flow aggregates). */
export type HospitalRow = Omit<Selectable<Hospitals>, 'num'>;
export type ScopeRow = Selectable<Scopes>;
export type ItemRow = Selectable<Items>;
export type CertificationRow = Selectable<CertificationEvents>;

const hospitalColumns = ['id', 'name', 'tier', 'grade', 'province', 'city', 'county', 'price_tier', 'created_at', 'updated_at'] as const;
const scopeColumns = ['id', 'level', 'name', 'region', 'province', 'members', 'items', 'updated_at'] as const;
export const itemColumns = [
  'code',
  'name',
  'name_zh',
  'category',
  'validity_days',
  'negative_list',
  'analytes',
  'prices',
  'minutes_saved',
  'radiation_msv',
  'loinc',
  'updated_at',
] as const;
const certificationColumns = [
  'id',
  'hospital_id',
  'item_code',
  'category',
  'scope_id',
  'status',
  'effective_from',
  'note',
  'recorded_at',
  'recorded_by',
] as const;

export type HospitalValues = Omit<HospitalRow, 'created_at' | 'updated_at'>;

/** Insert or update; `created` tells which (xmax = 0 only for a freshly inserted row). */
export async function upsertHospital(db: Executor, hospital: HospitalValues, now: Date): Promise<{ row: HospitalRow; created: boolean }> {
  const { id: _id, ...changes } = hospital;
  const row = await db
    .insertInto('hospitals')
    .values({ ...hospital, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...changes, updated_at: now }))
    .returning([...hospitalColumns, sql<boolean>`xmax = 0`.as('created')])
    .executeTakeFirstOrThrow();
  const { created, ...rest } = row;
  return { row: rest, created };
}

/** The hospital, locked for the transaction when `forUpdate` (a change that reads it first waits for another). */
export function findHospital(db: Executor, id: string, forUpdate = false): Promise<HospitalRow | undefined> {
  return db
    .selectFrom('hospitals')
    .select(hospitalColumns)
    .where('id', '=', id)
    .$if(forUpdate, (q) => q.forUpdate())
    .executeTakeFirst();
}

export function listHospitals(
  db: Executor,
  filter: { province?: string; city?: string; tier?: string; after?: string; limit: number },
): Promise<HospitalRow[]> {
  let query = db.selectFrom('hospitals').select(hospitalColumns).orderBy('id').limit(filter.limit);
  if (filter.province) query = query.where('province', '=', filter.province);
  if (filter.city) query = query.where('city', '=', filter.city);
  if (filter.tier) query = query.where('tier', '=', filter.tier);
  if (filter.after) query = query.where('id', '>', filter.after);
  return query.execute();
}

export async function existingHospitalIds(db: Executor, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('hospitals').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Consortium and alliance scopes listing each of the given hospitals. */
export async function membershipsOf(db: Executor, hospitalIds: readonly string[]): Promise<Map<string, string[]>> {
  const memberships = new Map<string, string[]>(hospitalIds.map((id) => [id, []]));
  if (hospitalIds.length === 0) return memberships;
  const rows = await db
    .selectFrom('scopes')
    .select(['id', 'members'])
    .where('members', 'is not', null)
    .where(sql<boolean>`members && ${sql.val(hospitalIds)}::text[]`)
    .orderBy('id')
    .execute();
  for (const row of rows) for (const member of row.members ?? []) memberships.get(member)?.push(row.id);
  return memberships;
}

export async function upsertScope(
  db: Executor,
  scope: Omit<ScopeRow, 'updated_at'>,
  now: Date,
): Promise<{ row: ScopeRow; created: boolean }> {
  const { id: _id, ...changes } = scope;
  const row = await db
    .insertInto('scopes')
    .values({ ...scope, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...changes, updated_at: now }))
    .returning([...scopeColumns, sql<boolean>`xmax = 0`.as('created')])
    .executeTakeFirstOrThrow();
  const { created, ...rest } = row;
  return { row: rest, created };
}

export function listScopes(db: Executor): Promise<ScopeRow[]> {
  return db.selectFrom('scopes').select(scopeColumns).orderBy('id').execute();
}

export function findScope(db: Executor, id: string): Promise<ScopeRow | undefined> {
  return db.selectFrom('scopes').select(scopeColumns).where('id', '=', id).executeTakeFirst();
}

export type ItemValues = Omit<ItemRow, 'updated_at' | 'prices'> & { prices: Record<string, number> };

export async function upsertItem(db: Executor, item: ItemValues, now: Date): Promise<{ row: ItemRow; created: boolean }> {
  const values = { ...item, prices: JSON.stringify(item.prices), updated_at: now };
  const { code: _code, ...changes } = values;
  const row = await db
    .insertInto('items')
    .values(values)
    .onConflict((oc) => oc.column('code').doUpdateSet(changes))
    .returning([...itemColumns, sql<boolean>`xmax = 0`.as('created')])
    .executeTakeFirstOrThrow();
  const { created, ...rest } = row;
  return { row: rest, created };
}

export function listItems(db: Executor, category?: string): Promise<ItemRow[]> {
  let query = db.selectFrom('items').select(itemColumns).orderBy('code');
  if (category) query = query.where('category', '=', category);
  return query.execute();
}

/** The items but `except` that list any of these LOINC codes, a row per (code, item). */
export async function itemsListingLoinc(
  db: Executor,
  loinc: readonly string[],
  except: string,
): Promise<{ code: string; loinc: string }[]> {
  const { rows } = await sql<{ code: string; loinc: string }>`
    select i.code, l.code as loinc from items i cross join lateral unnest(i.loinc) as l(code)
    where i.code <> ${except} and l.code = any(${[...loinc]}::text[])
    order by 2, 1`.execute(db);
  return rows;
}

/** The item, locked for the transaction when `forUpdate`. */
export function findItem(db: Executor, code: string, forUpdate = false): Promise<ItemRow | undefined> {
  return db
    .selectFrom('items')
    .select(itemColumns)
    .where('code', '=', code)
    .$if(forUpdate, (q) => q.forUpdate())
    .executeTakeFirst();
}

export async function existingItemCodes(db: Executor, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db.selectFrom('items').select('code').where('code', 'in', codes).execute();
  return new Set(rows.map((r) => r.code));
}

export async function upsertCodeMap(db: Executor, entry: { hospital_id: string; local_code: string; item_code: string }): Promise<boolean> {
  const row = await db
    .insertInto('code_maps')
    .values(entry)
    .onConflict((oc) => oc.columns(['hospital_id', 'local_code']).doUpdateSet({ item_code: entry.item_code }))
    .returning(sql<boolean>`xmax = 0`.as('created'))
    .executeTakeFirstOrThrow();
  return row.created;
}

export function listCodeMap(db: Executor, hospitalId: string) {
  return db
    .selectFrom('code_maps')
    .select(['hospital_id', 'local_code', 'item_code'])
    .where('hospital_id', '=', hospitalId)
    .orderBy('local_code')
    .execute();
}

export function insertCertificationEvent(db: Executor, event: Omit<CertificationRow, 'id'>): Promise<CertificationRow> {
  return db.insertInto('certification_events').values(event).returning(certificationColumns).executeTakeFirstOrThrow();
}

export function listCertificationEvents(db: Executor, hospitalIds: readonly string[]): Promise<CertificationRow[]> {
  if (hospitalIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('certification_events')
    .select(certificationColumns)
    .where('hospital_id', 'in', hospitalIds)
    .orderBy('effective_from')
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
}

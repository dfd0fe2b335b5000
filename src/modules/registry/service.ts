import type { Transaction } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { BadRequest, NotFound } from '../../errors.ts';
import { statusAt, type Category } from '../rules/index.ts';
import { certificationFact, certificationView, hospitalView, itemView, scopeView, type CertificationRecorded } from './mappers.ts';
import * as repo from './repository.ts';
import type { certificationBody, hospitalBody, hospitalQuery, itemBody, scopeBody } from './schemas.ts';

export interface RegistryDeps {
  db: Database;
  clock: () => Date;
  /** Told of every certification event inside the transaction that records it. */
  onCertification: (tx: Transaction<DB>, event: CertificationRecorded) => Promise<void>;
  /**
   * Told, inside the transaction that changes it, when a hospital's city or an item's category
   * changes: the reports group by them (the old value and the new one).
   */
  onRegroup: (tx: Transaction<DB>, dimension: 'city' | 'category', values: string[]) => Promise<void>;
}

// The hospital listing's cursor names its listing, so one another listing issued (a recall's id) is refused, not read as a hospital id.
const encodeCursor = (id: string) => Buffer.from(`hospitals/${id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = /^hospitals\/([A-Za-z0-9._-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
  if (!id) throw new BadRequest('The cursor is not one this service issued', [{ field: 'cursor', message: 'is invalid' }]);
  return id;
}

export function createRegistryService({ db, clock, onCertification, onRegroup }: RegistryDeps) {
  async function hospitalOrThrow(id: string) {
    const row = await repo.findHospital(db, id);
    if (!row) throw new NotFound(`Hospital ${id} is not registered`);
    return row;
  }

  async function withMemberships(rows: repo.HospitalRow[]) {
    const memberships = await repo.membershipsOf(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => hospitalView(row, memberships.get(row.id) ?? []));
  }

  /**
   * An upsert, in a transaction with the row it replaces (locked): when the value the reports group by
   * changes (a hospital's city, an item's category), they are told in the same transaction.
   */
  async function upsertRegrouping<Row>(
    dimension: 'city' | 'category',
    find: (tx: Transaction<DB>) => Promise<Row | undefined>,
    upsert: (tx: Transaction<DB>) => Promise<{ row: Row; created: boolean }>,
    valueOf: (row: Row) => string,
  ) {
    return db.transaction().execute(async (tx) => {
      const before = await find(tx);
      const upserted = await upsert(tx);
      if (before && valueOf(before) !== valueOf(upserted.row)) await onRegroup(tx, dimension, [valueOf(before), valueOf(upserted.row)]);
      return upserted;
    });
  }

  return {
    async putHospital(id: string, body: z.infer<typeof hospitalBody>) {
      const { row, created } = await upsertRegrouping(
        'city',
        (tx) => repo.findHospital(tx, id, true),
        (tx) =>
          repo.upsertHospital(
            tx,
            {
              id,
              name: body.name,
              tier: body.tier,
              grade: body.grade ?? null,
              province: body.province,
              city: body.city,
              county: body.county ?? null,
              price_tier: body.priceTier ?? null,
            },
            clock(),
          ),
        (hospital) => hospital.city,
      );
      return { created, hospital: (await withMemberships([row]))[0] };
    },

    async getHospital(id: string) {
      return (await withMemberships([await hospitalOrThrow(id)]))[0];
    },

    async listHospitals(query: z.infer<typeof hospitalQuery>) {
      const rows = await repo.listHospitals(db, {
        ...query,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      return {
        hospitals: await withMemberships(page),
        nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].id) : null,
      };
    },

    async putScope(id: string, body: z.infer<typeof scopeBody>) {
      const errors = [];
      const members = body.members ? [...new Set(body.members)] : null;
      const items = body.items ? [...new Set(body.items)] : null;
      if (members) {
        const known = await repo.existingHospitalIds(db, members);
        const unknown = members.filter((m) => !known.has(m));
        if (unknown.length > 0) errors.push({ field: 'members', message: `unknown hospitals: ${unknown.join(', ')}` });
      }
      if (items) {
        const known = await repo.existingItemCodes(db, items);
        const unknown = items.filter((i) => !known.has(i));
        if (unknown.length > 0) errors.push({ field: 'items', message: `unknown item codes: ${unknown.join(', ')}` });
      }
      if (errors.length > 0) throw new BadRequest('The scope names hospitals or items that are not registered', errors);
      const { row, created } = await repo.upsertScope(
        db,
        { id, level: body.level, name: body.name, region: body.region ?? null, province: body.province ?? null, members, items },
        clock(),
      );
      return { created, scope: scopeView(row) };
    },

    async getScope(id: string) {
      const row = await repo.findScope(db, id);
      if (!row) throw new NotFound(`Scope ${id} is not registered`);
      return scopeView(row);
    },

    async listScopes() {
      return { scopes: (await repo.listScopes(db)).map(scopeView) };
    },

    async putItem(code: string, body: z.infer<typeof itemBody>) {
      if (body.analytes && body.category !== 'lab') {
        throw new BadRequest('Only lab items list analytes', [{ field: 'analytes', message: 'are only for category lab' }]);
      }
      // A LOINC code names an item only when exactly one lists it: a second would silently unname the first.
      const taken = body.loinc ? await repo.itemsListingLoinc(db, body.loinc, code) : [];
      if (taken.length > 0) {
        const named = taken.map((t) => `${t.loinc} (${t.code})`).join(', ');
        throw new BadRequest('Another item lists a LOINC code of this one', [
          { field: 'loinc', message: `lists codes other items list: ${named}; a LOINC code names one item` },
        ]);
      }
      const { row, created } = await upsertRegrouping(
        'category',
        (tx) => repo.findItem(tx, code, true),
        (tx) =>
          repo.upsertItem(
            tx,
            {
              code,
              name: body.name,
              name_zh: body.nameZh ?? null,
              category: body.category,
              validity_days: body.validityDays,
              negative_list: body.negativeList ?? false,
              analytes: body.analytes ?? null,
              prices: body.prices,
              minutes_saved: body.minutesSaved,
              radiation_msv: body.radiationMsv ?? null,
              loinc: body.loinc ?? null,
            },
            clock(),
          ),
        (item) => item.category,
      );
      return { created, item: itemView(row) };
    },

    async getItem(code: string) {
      const row = await repo.findItem(db, code);
      if (!row) throw new NotFound(`Item ${code} is not in the catalogue`);
      return itemView(row);
    },

    async listItems(category?: string) {
      return { items: (await repo.listItems(db, category)).map(itemView) };
    },

    async putCodeMap(hospitalId: string, localCode: string, itemCode: string) {
      await hospitalOrThrow(hospitalId);
      if (!(await repo.findItem(db, itemCode))) {
        throw new BadRequest(`Item ${itemCode} is not in the catalogue`, [{ field: 'itemCode', message: 'is not a catalogue item' }]);
      }
      const created = await repo.upsertCodeMap(db, { hospital_id: hospitalId, local_code: localCode, item_code: itemCode });
      return { created, entry: { hospitalId, localCode, itemCode } };
    },

    async listCodeMap(hospitalId: string) {
      await hospitalOrThrow(hospitalId);
      const rows = await repo.listCodeMap(db, hospitalId);
      return { entries: rows.map((r) => ({ hospitalId: r.hospital_id, localCode: r.local_code, itemCode: r.item_code })) };
    },

    async addCertification(hospitalId: string, body: z.infer<typeof certificationBody>, recordedBy: string) {
      await hospitalOrThrow(hospitalId);
      const errors = [];
      const scope = await repo.findScope(db, body.scopeId);
      if (!scope) errors.push({ field: 'scopeId', message: 'is not a registered scope' });
      if (body.itemCode && !(await repo.findItem(db, body.itemCode)))
        errors.push({ field: 'itemCode', message: 'is not a catalogue item' });
      // An item's certification in a scope that does not hold the item could never take effect.
      else if (body.itemCode && scope?.items && !scope.items.includes(body.itemCode))
        errors.push({ field: 'itemCode', message: `is not one of scope ${body.scopeId}'s items` });
      if (errors.length > 0) throw new BadRequest('The certification names an unknown scope or item', errors);
      // The event and whatever it causes (recalls of recognitions it makes no longer recognisable) commit together.
      const row = await db.transaction().execute(async (tx) => {
        const stored = await repo.insertCertificationEvent(tx, {
          hospital_id: hospitalId,
          item_code: body.itemCode ?? null,
          category: body.category ?? null,
          scope_id: body.scopeId,
          status: body.status,
          effective_from: body.effectiveFrom,
          note: body.note ?? null,
          // The service's clock, as every other recorded time (the demo's history records events in the past).
          recorded_at: clock(),
          recorded_by: recordedBy,
        });
        await onCertification(tx, certificationFact(stored));
        return stored;
      });
      return certificationView(row);
    },

    /**
     * The timeline and, for each (scope, coverage) it names, the status now. How levels combine
     * when the engine judges an item: see rules/certification.ts statusAt (latest effective event
     * over item, category and all-items events wins; on a tie the more specific one).
     */
    async certificationTimeline(hospitalId: string) {
      await hospitalOrThrow(hospitalId);
      const rows = await repo.listCertificationEvents(db, [hospitalId]);
      const groups = new Map<string, repo.CertificationRow[]>();
      for (const row of rows) {
        const key = JSON.stringify([row.scope_id, row.item_code, row.category]);
        groups.set(key, [...(groups.get(key) ?? []), row]);
      }
      const now = clock();
      const current = [...groups.values()].map((events) => ({
        scopeId: events[0].scope_id,
        itemCode: events[0].item_code,
        category: events[0].category as Category | null,
        status: statusAt(events.map(certificationFact), now),
      }));
      return { hospitalId, timeline: rows.map(certificationView), current };
    },
  };
}

export type RegistryService = ReturnType<typeof createRegistryService>;

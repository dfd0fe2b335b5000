import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { catalogueItem, certificationFact, hospitalFacts, scopeFacts } from '../registry/mappers.ts';
import type { ReportStatus } from '../rules/codes.ts';
import type { CatalogueItem, CertificationEvent, HospitalFacts, ResultFacts, ScopeFacts } from '../rules/types.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface CandidateRow {
  result: ResultFacts;
  resultItem: CatalogueItem;
  issuer: HospitalFacts;
}

/**
 * Everything the engine needs about the given results, with their issuers' certification timelines
 * and every scope, in a fixed number of queries (the what-if replay; checks use check-store.ts).
 */
export async function loadCandidateFacts(
  db: Executor,
  resultIds: readonly string[],
): Promise<{ candidates: CandidateRow[]; scopes: ScopeFacts[]; certifications: Map<string, CertificationEvent[]> }> {
  if (resultIds.length === 0) return { candidates: [], scopes: [], certifications: new Map() };
  const rows = await db
    .selectFrom('results as r')
    .innerJoin('hospitals as h', 'h.id', 'r.issuing_hospital_id')
    .innerJoin('items as i', 'i.code', 'r.item_code')
    .select([
      'r.id', 'r.accession_no', 'r.issuing_hospital_id', 'r.item_code', 'r.kind', 'r.status', 'r.performed_at', 'r.reported_at',
      'r.images_available', 'r.study_uid', 'r.critical_open', 'r.equipment', 'r.analyte_codes',
      'h.name as h_name', 'h.tier as h_tier', 'h.province as h_province', 'h.city as h_city', 'h.price_tier as h_price_tier',
      'i.code as i_code', 'i.name as i_name', 'i.name_zh as i_name_zh', 'i.category as i_category', 'i.validity_days as i_validity_days',
      'i.negative_list as i_negative_list', 'i.analytes as i_analytes', 'i.prices as i_prices', 'i.minutes_saved as i_minutes_saved',
      'i.radiation_msv as i_radiation_msv', 'i.loinc as i_loinc', 'i.updated_at as i_updated_at',
    ])
    .where('r.id', 'in', resultIds)
    .orderBy('r.performed_at', 'desc')
    .execute();
  const issuerIds = [...new Set(rows.map((r) => r.issuing_hospital_id))];
  const [scopeRows, eventRows] = await Promise.all([
    db.selectFrom('scopes').select(['id', 'level', 'name', 'region', 'province', 'members', 'items', 'updated_at']).execute(),
    issuerIds.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('certification_events')
          .select(['id', 'hospital_id', 'item_code', 'category', 'scope_id', 'status', 'effective_from', 'note', 'recorded_at', 'recorded_by'])
          .where('hospital_id', 'in', issuerIds)
          .execute(),
  ]);
  const certifications = new Map<string, CertificationEvent[]>(issuerIds.map((id) => [id, []]));
  for (const row of eventRows) certifications.get(row.hospital_id)?.push(certificationFact(row));
  const candidates = rows.map((r) => ({
    result: resultFacts(r),
    issuer: hospitalFacts({ id: r.issuing_hospital_id, name: r.h_name, tier: r.h_tier, province: r.h_province, city: r.h_city, price_tier: r.h_price_tier }),
    resultItem: catalogueItem({
      code: r.i_code, name: r.i_name, name_zh: r.i_name_zh, category: r.i_category, validity_days: r.i_validity_days,
      negative_list: r.i_negative_list, analytes: r.i_analytes, prices: r.i_prices, minutes_saved: r.i_minutes_saved,
      radiation_msv: r.i_radiation_msv, loinc: r.i_loinc, updated_at: r.i_updated_at,
    }),
  }));
  return { candidates, scopes: scopeRows.map(scopeFacts), certifications };
}

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

/** A results row (timestamps as Dates, or as ISO text from a JSON read) as the engine's facts. */
export function resultFacts(r: {
  id: string; accession_no: string; issuing_hospital_id: string; item_code: string; kind: string; status: string;
  performed_at: Date | string; reported_at: Date | string | null; images_available: boolean | null; study_uid: string | null;
  critical_open: boolean; equipment: unknown; analyte_codes: string[];
}): ResultFacts {
  return {
    id: r.id,
    accessionNo: r.accession_no,
    issuingHospitalId: r.issuing_hospital_id,
    itemCode: r.item_code,
    kind: r.kind as ResultFacts['kind'],
    status: r.status as ReportStatus,
    performedAt: new Date(r.performed_at),
    reportedAt: r.reported_at === null ? null : new Date(r.reported_at),
    imagesAvailable: r.images_available,
    studyUid: r.study_uid,
    criticalOpen: r.critical_open,
    equipment: r.equipment as ResultFacts['equipment'],
    analyteCodes: r.analyte_codes,
  };
}

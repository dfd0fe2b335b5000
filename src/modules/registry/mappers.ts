import type {
  Category,
  CertificationStatus,
  ScopeLevel,
  Tier,
  CatalogueItem,
  CertificationEvent,
  HospitalFacts,
  ScopeFacts,
} from '../rules/index.ts';
import type { CertificationRow, HospitalRow, ItemRow, ScopeRow } from './repository.ts';

/** Rows → API shapes and rules-engine facts: the one place column names meet domain names. */

export function hospitalView(row: HospitalRow, memberships: string[]) {
  return {
    id: row.id,
    name: row.name,
    tier: row.tier as Tier,
    grade: row.grade as 'A' | 'B' | 'C' | null,
    province: row.province,
    city: row.city,
    county: row.county,
    priceTier: row.price_tier,
    memberships,
    updatedAt: row.updated_at.toISOString(),
  };
}

export function scopeView(row: ScopeRow) {
  return {
    id: row.id,
    level: row.level as ScopeLevel,
    name: row.name,
    region: row.region,
    province: row.province,
    members: row.members,
    items: row.items,
    updatedAt: row.updated_at.toISOString(),
  };
}

export function itemView(row: ItemRow) {
  return {
    code: row.code,
    name: row.name,
    nameZh: row.name_zh,
    category: row.category as Category,
    validityDays: row.validity_days,
    negativeList: row.negative_list,
    analytes: row.analytes,
    prices: row.prices,
    minutesSaved: row.minutes_saved,
    radiationMsv: row.radiation_msv,
    loinc: row.loinc,
    updatedAt: row.updated_at.toISOString(),
  };
}

export function certificationView(row: CertificationRow) {
  return {
    id: row.id,
    hospitalId: row.hospital_id,
    itemCode: row.item_code,
    category: row.category as Category | null,
    scopeId: row.scope_id,
    status: row.status as CertificationStatus,
    effectiveFrom: row.effective_from.toISOString(),
    note: row.note,
    recordedAt: row.recorded_at.toISOString(),
    recordedBy: row.recorded_by,
  };
}

export function hospitalFacts(row: Pick<HospitalRow, 'id' | 'name' | 'tier' | 'province' | 'city' | 'price_tier'>): HospitalFacts {
  return { id: row.id, name: row.name, tier: row.tier as Tier, province: row.province, city: row.city, priceTier: row.price_tier };
}

export function scopeFacts(row: ScopeRow): ScopeFacts {
  return {
    id: row.id,
    level: row.level as ScopeLevel,
    name: row.name,
    region: row.region,
    province: row.province,
    members: row.members,
    items: row.items,
  };
}

export function catalogueItem(row: ItemRow): CatalogueItem {
  return {
    code: row.code,
    name: row.name,
    nameZh: row.name_zh,
    category: row.category as Category,
    validityDays: row.validity_days,
    negativeList: row.negative_list,
    analytes: row.analytes,
    prices: row.prices,
    minutesSaved: row.minutes_saved,
    radiationMsv: row.radiation_msv,
    loinc: row.loinc,
  };
}

/** A certification event as it was recorded: what the modules that act on new events are told. */
export type CertificationRecorded = CertificationEvent & { id: number; hospitalId: string };

export function certificationFact(row: CertificationRow): CertificationRecorded {
  return {
    id: row.id,
    hospitalId: row.hospital_id,
    scopeId: row.scope_id,
    itemCode: row.item_code,
    category: row.category as Category | null,
    status: row.status as CertificationStatus,
    effectiveFrom: row.effective_from,
    recordedAt: row.recorded_at,
  };
}

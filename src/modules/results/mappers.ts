// Rows → API types. Only what the response schemas name leaves this module: never the patient key.
import type { findPatientResults, findResult } from './repository.ts';
import type { ResultKind, SearchResult, StoredResult } from './schemas.ts';
import type { ReportStatus } from '../rules/index.ts';

type ResultRow = NonNullable<Awaited<ReturnType<typeof findResult>>>;
type PatientResultRow = Awaited<ReturnType<typeof findPatientResults>>[number];

function content(row: ResultRow | PatientResultRow) {
  return {
    itemCode: row.item_code,
    performedAt: row.performed_at,
    reportedAt: row.reported_at,
    status: row.status as ReportStatus,
    kind: row.kind as ResultKind,
    imagesAvailable: row.images_available,
    studyUid: row.study_uid,
    criticalOpen: row.critical_open,
    equipment: row.equipment,
    analytes: row.analytes,
    findings: row.findings,
    version: row.version,
  };
}

export function toStoredResult(row: ResultRow): StoredResult {
  return {
    resultId: row.id,
    accessionNo: row.accession_no,
    issuingHospitalId: row.issuing_hospital_id,
    localCode: row.local_code,
    ...content(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toSearchResult(row: PatientResultRow): SearchResult {
  return {
    resultId: row.id,
    accessionNo: row.accession_no,
    issuingHospital: { id: row.issuing_hospital_id, name: row.hospital_name, tier: row.hospital_tier, city: row.hospital_city },
    itemName: row.item_name,
    category: row.item_category,
    ...content(row),
  };
}

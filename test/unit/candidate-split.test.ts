import { describe, expect, it } from 'vitest';
import { candidateResultsOf, type CandidateResultRow } from '../../src/modules/results/candidates.ts';

function row(patientKey: string, id: string, performedAt: string): CandidateResultRow & { patient_key: string } {
  return {
    patient_key: patientKey,
    id,
    accession_no: `ACC-${id}`,
    issuing_hospital_id: 'H1',
    item_code: 'CT-CHEST',
    kind: 'images',
    status: 'final',
    performed_at: performedAt,
    reported_at: null,
    images_available: true,
    study_uid: null,
    critical_open: false,
    equipment: null,
    analyte_codes: [],
  };
}

describe("candidateResultsOf: the shared candidate read split by check, as the engine's facts", () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const found = {
    registry_version: 7,
    results: [
      row('p1', 'a', '2026-11-01T00:00:00+00:00'),
      row('p2', 'b', '2026-11-30T00:00:00+00:00'),
      row('p1', 'c', '2026-11-29T08:00:00+08:00'),
      row('p1', 'd', '2026-10-01T00:00:00+00:00'),
      row('p1', 'e', '2026-11-29T00:00:00+00:00'),
    ],
  };

  it("gives each lookup its own patient's results within its own look-back, newest first, ties by id", () => {
    const split = candidateResultsOf(
      [
        { patientKey: 'p1', now, lookbackDays: 90 },
        { patientKey: 'p2', now, lookbackDays: 90 },
        { patientKey: 'p1', now, lookbackDays: 14 },
        { patientKey: 'p3', now, lookbackDays: 90 },
      ],
      found,
    );
    expect(split.map((s) => s.results.map((r) => r.id))).toEqual([['c', 'e', 'a', 'd'], ['b'], ['c', 'e'], []]);
    expect(split.every((s) => s.registry_version === 7)).toBe(true);
    expect(split[0].results[0]).toMatchObject({ accessionNo: 'ACC-c', performedAt: new Date('2026-11-29T00:00:00Z') });
    expect(split[0].results[0]).not.toHaveProperty('patient_key');
    expect(split[0].results[0]).not.toHaveProperty('patientKey');
  });

  it('keeps a result performed in the first second of the look-back, and drops one a millisecond before it', () => {
    // Counted to the second: at 00:00:00.700, a day's look-back starts at 00:00:00.000 the day before.
    const split = candidateResultsOf([{ patientKey: 'p1', now: new Date('2026-11-02T00:00:00.700Z'), lookbackDays: 1 }], {
      registry_version: 1,
      results: [
        row('p1', 'in', '2026-11-01T00:00:00.000+00:00'),
        row('p1', 'in-too', '2026-11-01T00:00:00.300+00:00'),
        row('p1', 'out', '2026-10-31T23:59:59.999+00:00'),
      ],
    });
    expect(split[0].results.map((r) => r.id).sort()).toEqual(['in', 'in-too']);
  });
});

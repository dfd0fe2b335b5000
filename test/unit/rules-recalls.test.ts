import { describe, expect, it } from 'vitest';
import { certificationRecallReasons, resultChangeCause, statusReasons } from '../../src/modules/rules/index.ts';
import { changedFields, type ResultContent } from '../../src/modules/results/submission.ts';

const content: ResultContent = {
  patientKey: 'pk-1',
  itemCode: 'CT-CHEST',
  localCode: null,
  performedAt: '2026-11-20T01:00:00.000Z',
  reportedAt: null,
  status: 'final',
  kind: 'images',
  imagesAvailable: true,
  studyUid: '1.2.3',
  criticalOpen: false,
  equipment: { sliceMm: 1 },
  analytes: [
    { code: 'ALT', value: 30 },
    { code: 'AST', value: 25 },
  ],
  findings: 'No nodules.',
};

describe('what changed between two versions of a result', () => {
  it('names each content field that differs, the patient by its API name', () => {
    expect(changedFields(content, content)).toEqual([]);
    expect(changedFields(content, { ...content, patientKey: 'pk-2', findings: 'A nodule.' })).toEqual(['patient', 'findings']);
    expect(changedFields(content, { ...content, equipment: { sliceMm: 5 } })).toEqual(['equipment']);
  });

  it('compares analytes in code order, and values exactly', () => {
    const reordered = { ...content, analytes: [...content.analytes!].reverse() };
    expect(changedFields(content, reordered)).toEqual([]);
    expect(changedFields(content, { ...content, analytes: [{ code: 'ALT', value: 31 }, content.analytes![1]] })).toEqual(['analytes']);
    expect(changedFields(content, { ...content, analytes: null })).toEqual(['analytes']);
  });
});

describe('the cause of a recall', () => {
  it('a withdrawal is withdrawn, whatever else changed', () => {
    expect(resultChangeCause({ changedFields: ['status'], previousStatus: 'final', status: 'entered-in-error' })).toBe('withdrawn');
    expect(resultChangeCause({ changedFields: ['status', 'findings'], previousStatus: 'amended', status: 'cancelled' })).toBe('withdrawn');
  });

  it('any clinical change is an amendment, a restored result included; bookkeeping alone is nothing', () => {
    expect(resultChangeCause({ changedFields: ['findings'], previousStatus: 'final', status: 'final' })).toBe('amended');
    expect(resultChangeCause({ changedFields: ['status'], previousStatus: 'final', status: 'corrected' })).toBe('amended');
    expect(resultChangeCause({ changedFields: ['status'], previousStatus: 'entered-in-error', status: 'final' })).toBe('amended');
    expect(resultChangeCause({ changedFields: ['localCode'], previousStatus: 'final', status: 'final' })).toBeNull();
    expect(resultChangeCause({ changedFields: [], previousStatus: 'final', status: 'final' })).toBeNull();
  });

  it('a change to an already withdrawn result is an amendment only when clinical', () => {
    expect(resultChangeCause({ changedFields: ['findings'], previousStatus: 'cancelled', status: 'cancelled' })).toBe('amended');
    expect(resultChangeCause({ changedFields: ['localCode'], previousStatus: 'cancelled', status: 'cancelled' })).toBeNull();
  });

  it('the reasons a status alone gives', () => {
    expect(statusReasons('final')).toEqual([]);
    expect(statusReasons('appended')).toEqual([]);
    expect(statusReasons('entered-in-error')).toEqual(['NR_REPORT_WITHDRAWN']);
    expect(statusReasons('preliminary')).toEqual(['NR_REPORT_NOT_FINAL']);
  });

  it('a certification recall keeps only the certification gate’s reasons', () => {
    expect(certificationRecallReasons(['NR_EXPIRED', 'NR_ISSUER_REVOKED'])).toEqual(['NR_ISSUER_REVOKED']);
    expect(certificationRecallReasons(['NR_EXPIRED'])).toEqual([]);
    expect(certificationRecallReasons(['NR_SCOPE_MISMATCH', 'NR_ISSUER_SUSPENDED'])).toEqual(['NR_SCOPE_MISMATCH', 'NR_ISSUER_SUSPENDED']);
  });
});

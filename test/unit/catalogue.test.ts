import { describe, expect, it } from 'vitest';
import { categories } from '../../src/modules/rules/codes.ts';
import { catalogueByCode, catalogueCodes, defaultCatalogue, type CatalogueEntry } from '../../src/modules/registry/default-catalogue.ts';

const byCode = catalogueByCode();

function item(code: string): CatalogueEntry {
  const entry = byCode.get(code);
  if (!entry) throw new Error(`${code} is not in the default catalogue`);
  return entry;
}

// LOINC's check digit is the Luhn mod-10 digit of the part before the hyphen.
function loincCheckDigit(body: string): number {
  let sum = 0;
  [...body].reverse().forEach((char, index) => {
    const doubled = index % 2 === 0 ? Number(char) * 2 : Number(char);
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return (10 - (sum % 10)) % 10;
}

describe('default catalogue', () => {
  it('holds at least 70 items across every category', () => {
    expect(defaultCatalogue.length).toBeGreaterThanOrEqual(70);
    const present = new Set(defaultCatalogue.map((entry) => entry.category));
    for (const category of categories) expect(present, category).toContain(category);
  });

  it('has unique codes, exposed as a list and a map', () => {
    expect(new Set(catalogueCodes).size).toBe(defaultCatalogue.length);
    expect(catalogueCodes).toEqual(defaultCatalogue.map((entry) => entry.code));
    expect(byCode.size).toBe(defaultCatalogue.length);
    expect(item('CT-CHEST').category).toBe('ct');
  });

  it('follows the default windows table of docs/domain.md for representative items', () => {
    // Literal numbers on purpose: the table, not the constants in the catalogue, is the reference.
    const windows: Record<string, number> = {
      'LAB-ELEC': 7,
      'LAB-K': 7,
      'LAB-CA': 7,
      'LAB-MG': 7,
      'LAB-PHOS': 7,
      'LAB-FE': 7,
      'LAB-LITHIUM': 7,
      'LAB-LFT': 30,
      'LAB-ALT': 30,
      'LAB-RFT': 30,
      'LAB-CREA': 30,
      'LAB-LIPID': 30,
      'LAB-GLU': 30,
      'LAB-ALB': 30,
      'LAB-HBA1C': 60,
      'LAB-CBC': 7,
      'LAB-COAG': 7,
      'LAB-URINE': 7,
      'LAB-STOOL': 7,
      'LAB-HBV5': 30,
      'LAB-HIV': 30,
      'LAB-SYPH': 30,
      'LAB-TM': 30,
      'LAB-AFP': 30,
      'LAB-TFT': 30,
      'XR-CHEST': 30,
      'XR-MAMMO': 30,
      'CT-HEAD': 30,
      'CT-CHEST': 30,
      'MRI-BRAIN': 30,
      'US-ABD': 7,
      'US-ECHO': 7,
      'ECG-REST': 7,
      'XR-DXA': 180,
    };
    for (const [code, days] of Object.entries(windows)) expect(item(code).validityDays, code).toBe(days);
  });

  it('puts a mixed panel under the tightest window of its analytes', () => {
    // The basic metabolic panel holds electrolytes (7 days) and chemistry (30 days).
    expect(item('LAB-BMP').validityDays).toBe(7);
  });

  it('lists troponin, BNP, CRP, procalcitonin, blood gas, lactate and crossmatch on the negative list', () => {
    const negative = ['LAB-CTNI', 'LAB-BNP', 'LAB-NTPROBNP', 'LAB-CRP', 'LAB-PCT', 'LAB-ABG', 'LAB-LAC', 'LAB-XMATCH'];
    for (const code of negative) expect(item(code).negativeList, code).toBe(true);
    expect(item('LAB-CBC').negativeList).toBe(false);
    expect(item('CT-CHEST').negativeList).toBe(false);
  });

  it('prices every tier positively, T1 >= T2 >= T3', () => {
    for (const { code, prices } of defaultCatalogue) {
      expect(prices.T3, code).toBeGreaterThan(0);
      expect(prices.T1, code).toBeGreaterThanOrEqual(prices.T2);
      expect(prices.T2, code).toBeGreaterThanOrEqual(prices.T3);
    }
    expect(item('LAB-CBC').prices).toEqual({ T1: 20, T2: 18, T3: 15 });
  });

  it('saves the default minutes per category of docs/domain.md', () => {
    expect(item('LAB-CBC').minutesSaved).toBe(30);
    expect(item('XR-CHEST').minutesSaved).toBe(30);
    expect(item('US-ABD').minutesSaved).toBe(45);
    expect(item('CT-CHEST').minutesSaved).toBe(60);
    expect(item('MRI-BRAIN').minutesSaved).toBe(120);
    for (const { code, minutesSaved } of defaultCatalogue) expect(minutesSaved, code).toBeGreaterThan(0);
  });

  it('gives a dose only to ionising imaging (xray, ct, nuclear), and to all of it', () => {
    const ionising = new Set(['xray', 'ct', 'nuclear']);
    for (const { code, category, radiationMsv } of defaultCatalogue) {
      if (ionising.has(category)) expect(radiationMsv, code).toBeGreaterThan(0);
      else expect(radiationMsv, code).toBeNull();
    }
    expect(item('XR-CHEST').radiationMsv).toBe(0.1);
    expect(item('XR-MAMMO')).toMatchObject({ category: 'xray', radiationMsv: 0.4 });
    expect(item('CT-CHEST').radiationMsv).toBe(7);
    expect(item('NM-PETCT').radiationMsv).toBe(25);
  });

  it('lists analytes for every lab item and for nothing else', () => {
    for (const { code, category, analytes } of defaultCatalogue) {
      if (category === 'lab') {
        expect(analytes?.length, code).toBeGreaterThan(0);
        expect(new Set(analytes).size, code).toBe(analytes?.length);
      } else {
        expect(analytes, code).toBeNull();
      }
    }
    expect(item('LAB-LFT').analytes).toEqual(['ALT', 'AST', 'TBIL', 'DBIL', 'ALB', 'ALP', 'GGT']);
  });

  it("covers every single-analyte item's analyte by some panel", () => {
    // Tests that no standard panel reports; they are matched by their own code only.
    const standalone = new Set(['LAB-HBA1C', 'LAB-LITHIUM', 'LAB-BNP']);
    const panels = defaultCatalogue.filter((entry) => (entry.analytes?.length ?? 0) > 1);
    const singles = defaultCatalogue.filter((entry) => entry.analytes?.length === 1 && !standalone.has(entry.code));
    expect(singles.length).toBeGreaterThan(20);
    for (const single of singles) {
      const [analyte] = single.analytes ?? [];
      const covering = panels.filter((panel) => panel.analytes?.includes(analyte)).map((panel) => panel.code);
      expect(covering, single.code).not.toEqual([]);
    }
  });

  it('includes overlapping panels: liver vs ALT/AST, renal vs creatinine, electrolytes vs potassium', () => {
    const covers = (panel: string, single: string) =>
      (item(single).analytes ?? []).every((analyte) => item(panel).analytes?.includes(analyte));
    expect(covers('LAB-LFT', 'LAB-ALT')).toBe(true);
    expect(covers('LAB-LFT', 'LAB-AST')).toBe(true);
    expect(covers('LAB-RFT', 'LAB-CREA')).toBe(true);
    expect(covers('LAB-BMP', 'LAB-CREA')).toBe(true);
    expect(covers('LAB-ELEC', 'LAB-K')).toBe(true);
    expect(covers('LAB-BMP', 'LAB-K')).toBe(true);
    expect(covers('LAB-INF4', 'LAB-HIV')).toBe(true);
  });

  it('uses well-formed LOINC codes (mod-10 check digit), each on one item only', () => {
    const seen = new Map<string, string>();
    for (const { code, loinc } of defaultCatalogue) {
      for (const loincCode of loinc ?? []) {
        expect(loincCode, code).toMatch(/^\d{1,7}-\d$/);
        const [body, check] = loincCode.split('-');
        expect(loincCheckDigit(body), loincCode).toBe(Number(check));
        expect(seen.get(loincCode), `${loincCode} on ${code}`).toBeUndefined();
        seen.set(loincCode, code);
      }
    }
    expect(item('LAB-CBC').loinc).toContain('58410-2');
    expect(item('LAB-HBA1C').loinc).toContain('4548-4');
  });

  it('names every item in English and Chinese, with codes in the regional style', () => {
    for (const { code, name, nameZh } of defaultCatalogue) {
      expect(code).toMatch(/^(LAB|XR|CT|MRI|US|ECG|NM|PATH)-[A-Z0-9]+$/);
      expect(name.trim(), code).not.toBe('');
      expect(nameZh, code).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

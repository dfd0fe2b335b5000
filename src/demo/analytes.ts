// Plausible adult values for the demo's lab results: unit and reference interval per analyte code of
// the default catalogue, or the qualitative answers of a serology or dipstick test.
import type { AnalyteValue } from '../db/json-columns.ts';
import type { Random } from './random.ts';

type Quantitative = [unit: string, low: number, high: number, decimals: number];
type Qualitative = { normal: string; abnormal: string };

const quantitative: Record<string, Quantitative> = {
  WBC: ['10^9/L', 3.5, 9.5, 2],
  RBC: ['10^12/L', 3.8, 5.8, 2],
  HGB: ['g/L', 115, 175, 0],
  HCT: ['%', 35, 50, 1],
  MCV: ['fL', 82, 100, 1],
  MCH: ['pg', 27, 34, 1],
  MCHC: ['g/L', 316, 354, 0],
  PLT: ['10^9/L', 125, 350, 0],
  NEUT: ['%', 40, 75, 1],
  LYMPH: ['%', 20, 50, 1],
  PT: ['s', 10, 14, 1],
  INR: ['', 0.8, 1.2, 2],
  APTT: ['s', 25, 37, 1],
  FIB: ['g/L', 2, 4, 2],
  TT: ['s', 14, 21, 1],
  USG: ['', 1.003, 1.03, 3],
  UPH: ['', 5, 8, 1],
  URBC: ['/uL', 0, 17, 0],
  UWBC: ['/uL', 0, 28, 0],
  ALT: ['U/L', 9, 50, 0],
  AST: ['U/L', 15, 40, 0],
  TBIL: ['umol/L', 3.4, 20.5, 1],
  DBIL: ['umol/L', 0, 6.8, 1],
  ALB: ['g/L', 40, 55, 1],
  ALP: ['U/L', 45, 125, 0],
  GGT: ['U/L', 10, 60, 0],
  CREA: ['umol/L', 57, 111, 0],
  UREA: ['mmol/L', 3.1, 8, 2],
  UA: ['umol/L', 208, 428, 0],
  CYSC: ['mg/L', 0.51, 1.09, 2],
  TC: ['mmol/L', 2.8, 5.2, 2],
  TG: ['mmol/L', 0.45, 1.7, 2],
  HDLC: ['mmol/L', 1.04, 1.55, 2],
  LDLC: ['mmol/L', 1.5, 3.4, 2],
  GLU: ['mmol/L', 3.9, 6.1, 2],
  HBA1C: ['%', 4, 6, 1],
  K: ['mmol/L', 3.5, 5.3, 2],
  NA: ['mmol/L', 137, 147, 0],
  CL: ['mmol/L', 99, 110, 0],
  CA: ['mmol/L', 2.11, 2.52, 2],
  MG: ['mmol/L', 0.75, 1.02, 2],
  PHOS: ['mmol/L', 0.85, 1.51, 2],
  FE: ['umol/L', 10.6, 36.7, 1],
  TIBC: ['umol/L', 50, 77, 1],
  UIBC: ['umol/L', 31, 51, 1],
  LI: ['mmol/L', 0.6, 1.2, 2],
  AFP: ['ng/mL', 0, 7, 2],
  CEA: ['ng/mL', 0, 5, 2],
  CA125: ['U/mL', 0, 35, 1],
  CA199: ['U/mL', 0, 37, 1],
  CA153: ['U/mL', 0, 25, 1],
  TPSA: ['ng/mL', 0, 4, 2],
  FPSA: ['ng/mL', 0, 0.93, 2],
  CYFRA211: ['ng/mL', 0, 3.3, 2],
  NSE: ['ng/mL', 0, 16.3, 1],
  TT3: ['nmol/L', 1.3, 3.1, 2],
  TT4: ['nmol/L', 66, 181, 1],
  FT3: ['pmol/L', 3.1, 6.8, 2],
  FT4: ['pmol/L', 12, 22, 2],
  TSH: ['mIU/L', 0.27, 4.2, 2],
  TGAB: ['IU/mL', 0, 115, 1],
  TPOAB: ['IU/mL', 0, 34, 1],
  CTNI: ['ng/mL', 0, 0.04, 3],
  CKMB: ['ng/mL', 0, 5, 2],
  MYO: ['ng/mL', 0, 70, 1],
  NTPROBNP: ['pg/mL', 0, 125, 0],
  BNP: ['pg/mL', 0, 100, 0],
  CRP: ['mg/L', 0, 10, 1],
  PCT: ['ng/mL', 0, 0.05, 2],
  IL6: ['pg/mL', 0, 7, 1],
  PH: ['', 7.35, 7.45, 2],
  PCO2: ['mmHg', 35, 45, 0],
  PO2: ['mmHg', 80, 100, 0],
  HCO3: ['mmol/L', 22, 27, 1],
  BE: ['mmol/L', -3, 3, 1],
  SO2: ['%', 95, 99, 0],
  LAC: ['mmol/L', 0.5, 1.6, 1],
};

const negative = { normal: '阴性', abnormal: '阳性' };
const dipstick = { normal: '-', abnormal: '+' };
const qualitative: Record<string, Qualitative> = {
  UPRO: dipstick,
  UGLU: dipstick,
  UKET: dipstick,
  UBLD: dipstick,
  ULEU: dipstick,
  UNIT: dipstick,
  UBIL: dipstick,
  UURO: { normal: '正常', abnormal: '+' },
  SWBC: { normal: '未见', abnormal: '3-5/HP' },
  SRBC: { normal: '未见', abnormal: '1-3/HP' },
  SOVA: { normal: '未见', abnormal: '可见' },
  FOBT: negative,
  HBSAG: negative,
  HBSAB: { normal: '阳性', abnormal: '阴性' },
  HBEAG: negative,
  HBEAB: negative,
  HBCAB: negative,
  HCVAB: negative,
  HIVAGAB: negative,
  TPAB: negative,
  ABO: { normal: 'A', abnormal: 'O' },
  RHD: { normal: '阳性', abnormal: '阴性' },
  ABSCR: negative,
  XM: { normal: '相合', abnormal: '不相合' },
};

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** One value per analyte; `critical` pushes the first quantitative analyte far outside its interval. */
export function analyteValues(codes: readonly string[], random: Random, critical = false): AnalyteValue[] {
  let criticalPending = critical;
  return codes.map((code) => {
    const answers = qualitative[code];
    if (answers) {
      const abnormal = random.chance(0.06);
      return { code, value: abnormal ? answers.abnormal : answers.normal, ...(abnormal ? { flag: 'A' } : {}) };
    }
    const [unit, low, high, decimals] = quantitative[code] ?? ['', 0, 100, 1];
    const referenceRange = `${low}-${high}`;
    const base = { code, ...(unit ? { unit } : {}), referenceRange };
    const span = high - low;
    if (criticalPending) {
      criticalPending = false;
      return { ...base, value: round(high + span * (1 + random.next()), decimals), flag: 'HH' };
    }
    const draw = random.next();
    if (draw < 0.06 && low > 0) return { ...base, value: round(low - span * 0.3 * random.next(), decimals), flag: 'L' };
    if (draw < 0.14) return { ...base, value: round(high + span * 0.4 * random.next(), decimals), flag: 'H' };
    return { ...base, value: round(low + span * random.next(), decimals) };
  });
}

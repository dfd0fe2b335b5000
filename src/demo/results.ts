// Synthetic patients and their exam results: episodes at hospitals mostly in the patient's home city,
// items drawn by popularity (blood counts, liver and kidney panels, chest X-ray and chest CT lead),
// dated over the 400 days before `now`. The history (history/plan.ts) draws its patients, hospitals
// and results from a second generator, one journey at a time.
import type { AnalyteValue } from '../db/json-columns.ts';
import type { CatalogueEntry } from '../modules/registry/index.ts';
import { generateResidentId } from '../modules/patients/index.ts';
import { isImagingCategory, type Category, type ReportStatus } from '../modules/rules/index.ts';
import { analyteValues } from './analytes.ts';
import { labOnlyClinic } from './certifications.ts';
import { tongluConsortium, type DemoHospital } from './hospitals.ts';
import type { Random } from './random.ts';

export interface DemoResult {
  accessionNo: string;
  issuingHospitalId: string;
  /** The patient's normalised resident ID; only its keyed HMAC is ever stored. */
  patientIdNumber: string;
  itemCode: string;
  kind: 'data' | 'images' | 'conclusion';
  status: ReportStatus;
  performedAt: Date;
  reportedAt: Date | null;
  imagesAvailable: boolean | null;
  studyUid: string | null;
  criticalOpen: boolean;
  equipment: Record<string, unknown> | null;
  analytes: AnalyteValue[] | null;
  findings: string | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CHINA_OFFSET_MS = 8 * HOUR_MS;

/** Midnight in China (UTC+8) of the day `days` before `now`. */
export function chinaDayStart(now: Date, days: number): number {
  const local = now.getTime() - days * DAY_MS + CHINA_OFFSET_MS;
  return Math.floor(local / DAY_MS) * DAY_MS - CHINA_OFFSET_MS;
}

export type Home = 'Hangzhou' | 'Tonglu' | 'Ningbo' | 'Wenzhou' | 'Shaoxing' | 'Shanghai' | 'Nanjing' | 'Suzhou';
const homes: [Home, number][] = [
  ['Hangzhou', 30],
  ['Tonglu', 8],
  ['Ningbo', 24],
  ['Wenzhou', 18],
  ['Shaoxing', 14],
  ['Shanghai', 3],
  ['Nanjing', 1.5],
  ['Suzhou', 1.5],
];
// GB/T 2260 county-level codes of each home (the first six digits of a resident ID).
const regionCodes: Record<Home, string[]> = {
  Hangzhou: ['330102', '330105', '330106', '330108', '330109', '330110'],
  Tonglu: ['330122'],
  Ningbo: ['330203', '330205', '330206', '330212', '330282'],
  Wenzhou: ['330302', '330303', '330304', '330381'],
  Shaoxing: ['330602', '330603', '330604', '330681'],
  Shanghai: ['310101', '310104', '310109'],
  Nanjing: ['320106'],
  Suzhou: ['320508', '320509'],
};

export const popularity: Record<string, number> = {
  'LAB-CBC': 30,
  'LAB-LFT': 18,
  'LAB-RFT': 18,
  'XR-CHEST': 14,
  'CT-CHEST': 14,
  'LAB-URINE': 8,
  'ECG-REST': 7,
  'LAB-GLU': 7,
  'LAB-LIPID': 7,
  'US-ABD': 6,
  'LAB-COAG': 5,
  'LAB-ELEC': 5,
  'CT-HEAD': 5,
  'LAB-HBA1C': 4,
  'LAB-TFT': 3,
  'LAB-HBV5': 3,
  'LAB-INF4': 3,
  'LAB-CRP': 3,
  'US-THYROID': 3,
  'MRI-BRAIN': 2.5,
  'LAB-TM': 2,
  'MRI-LSPINE': 2,
  'CT-ABD': 2,
  'CT-LDCT': 2,
  'LAB-CTNI': 1.5,
  'XR-KNEE': 1.5,
  'US-ECHO': 1.5,
};
const otherItemWeight = 0.25;

const primaryCategories: Category[] = ['lab', 'xray', 'ultrasound', 'ecg'];
export function performs(hospital: DemoHospital, category: Category): boolean {
  if (hospital.id === labOnlyClinic) return category === 'lab' || category === 'ecg';
  if (hospital.tier === 'primary') return primaryCategories.includes(category);
  if (hospital.tier === 'secondary') return category !== 'nuclear';
  return true;
}

const findingsByCategory: Record<Category, string[]> = {
  xray: ['双肺纹理清晰，心膈未见异常。', '右下肺野少许条索影，考虑陈旧性病变。', '骨质未见明显异常，关节间隙正常。', '轻度退行性改变。'],
  ct: [
    '双肺未见明确实质性病变。',
    '右肺上叶见一枚约4mm实性小结节，建议年度随访。',
    '颅内未见明显出血及占位。',
    '肝脏多发小囊肿，余未见明显异常。',
  ],
  mri: ['脑实质未见明显异常信号。', 'L4/5椎间盘突出（中央型），硬膜囊受压。', '半月板后角II度信号，建议随访。'],
  ultrasound: ['肝胆胰脾未见明显异常。', '脂肪肝（轻度）。', '甲状腺右叶囊实性结节，TI-RADS 3类。', '心脏结构及功能未见明显异常。'],
  nuclear: ['全身骨显像未见明显异常放射性浓聚。', '未见明显高代谢病灶。'],
  ecg: ['窦性心律，正常心电图。', '窦性心动过缓。', '窦性心律，ST-T改变。'],
  pathology: ['慢性炎症，未见恶性证据。', '管状腺瘤，低级别上皮内瘤变。'],
  lab: [],
};
const conclusions = ['诊断意见：高血压病2级。', '诊断意见：2型糖尿病。', '诊断意见：社区获得性肺炎，已好转。'];

const ctScanners = [
  [16, 'Optima CT540'],
  [64, 'Optima CT660'],
  [256, 'Revolution CT'],
] as const;

export interface GeneratorContext {
  random: Random;
  now: Date;
  hospitals: readonly DemoHospital[];
  catalogue: readonly CatalogueEntry[];
  /** Put between the hospital id and the number of each accession number, so two generators never collide. */
  series?: string;
}

export function createResultGenerator({ random, now, hospitals, catalogue, series = '' }: GeneratorContext) {
  const counters = new Map<string, number>();
  const hospitalIndex = new Map(hospitals.map((h, i) => [h.id, i + 1]));
  const byCity = (city: string) => hospitals.filter((h) => h.city === city && h.county !== 'Tonglu');
  const tierWeight = { tertiary: 3, secondary: 2, primary: 1.5 } as const;
  const weighted = (list: readonly DemoHospital[]) => list.map((h) => [h, tierWeight[h.tier]] as const);
  const zhejiang = hospitals.filter((h) => h.province === 'Zhejiang' && h.county !== 'Tonglu');
  const consortium = hospitals.filter((h) => (tongluConsortium as readonly string[]).includes(h.id));
  const allianceOutside = hospitals.filter((h) => h.province !== 'Zhejiang');
  const zhejiangTertiary = zhejiang.filter((h) => h.tier === 'tertiary');

  function hospitalFor(home: Home): DemoHospital {
    const draw = random.next();
    if (home === 'Tonglu') {
      if (draw < 0.6) return random.weighted(consortium.map((h) => [h, h.tier === 'secondary' ? 4 : 1.5] as const));
      return random.pick(draw < 0.9 ? byCity('Hangzhou').filter((h) => h.tier === 'tertiary') : zhejiangTertiary);
    }
    if (home === 'Shanghai' || home === 'Nanjing' || home === 'Suzhou') {
      return draw < 0.7 ? random.pick(byCity(home)) : random.pick(zhejiangTertiary.filter((h) => h.grade === 'A'));
    }
    if (draw < 0.8) return random.weighted(weighted(byCity(home)));
    if (draw < 0.95) return random.weighted(weighted(zhejiang.filter((h) => h.city !== home && h.tier !== 'primary')));
    return random.pick(allianceOutside);
  }

  /** `count` distinct items the hospital performs, drawn by `weight` (default: popularity). */
  function itemsAt(
    hospital: DemoHospital,
    count: number,
    weight = (e: CatalogueEntry) => popularity[e.code] ?? otherItemWeight,
  ): CatalogueEntry[] {
    const pool = catalogue.filter((e) => performs(hospital, e.category)).flatMap((e) => (weight(e) > 0 ? [[e, weight(e)] as const] : []));
    const chosen = new Set<CatalogueEntry>();
    for (let attempt = 0; chosen.size < count && attempt < count * 5; attempt += 1) chosen.add(random.weighted(pool));
    return [...chosen];
  }

  function statusFor(daysAgo: number): ReportStatus {
    const status = random.weighted<ReportStatus>([
      ['final', 86],
      ['amended', 4],
      ['corrected', 1],
      ['preliminary', 4],
      ['registered', 1],
      ['cancelled', 3],
      ['entered-in-error', 1],
    ]);
    // Reports stay pending for days, not months.
    if ((status === 'preliminary' && daysAgo > 14) || (status === 'registered' && daysAgo > 3)) return 'final';
    return status;
  }

  /** One result; its status drawn (reports pending for days, a few withdrawn) unless given. */
  function result(
    hospital: DemoHospital,
    entry: CatalogueEntry,
    patientIdNumber: string,
    performedAt: Date,
    daysAgo: number,
    given?: ReportStatus,
  ): DemoResult {
    const n = (counters.get(hospital.id) ?? 0) + 1;
    counters.set(hospital.id, n);
    const prefix = entry.category === 'lab' ? 'L' : entry.category === 'ecg' ? 'E' : entry.category === 'pathology' ? 'P' : 'R';
    const status = given ?? statusFor(daysAgo);
    const reportHours =
      entry.category === 'pathology' ? random.int(72, 120) : entry.category === 'lab' ? random.int(1, 6) : random.int(2, 24);
    const reportedAt = status === 'registered' ? null : new Date(Math.min(performedAt.getTime() + reportHours * HOUR_MS, now.getTime()));
    const base: DemoResult = {
      accessionNo: `${hospital.id}-${series}${prefix}${String(n).padStart(6, '0')}`,
      issuingHospitalId: hospital.id,
      patientIdNumber,
      itemCode: entry.code,
      kind: 'data',
      status,
      performedAt,
      reportedAt,
      imagesAvailable: null,
      studyUid: null,
      criticalOpen: false,
      equipment: null,
      analytes: null,
      findings: null,
    };
    if (random.chance(0.015)) return { ...base, kind: 'conclusion', findings: random.pick(conclusions) };
    if (entry.category === 'lab') {
      const critical = status === 'final' && random.chance(0.012);
      return { ...base, analytes: analyteValues(entry.analytes ?? [], random, critical), criticalOpen: critical };
    }
    const findings = random.pick(findingsByCategory[entry.category]);
    if (!isImagingCategory(entry.category)) return { ...base, findings };
    // A second series numbers its studies under an arc of its own, as it does its accession numbers.
    const studyUid = `1.2.156.600734.${hospitalIndex.get(hospital.id)}.${series ? '2.' : ''}${n}`;
    const images = random.weighted<Pick<DemoResult, 'imagesAvailable' | 'studyUid'>>([
      [{ imagesAvailable: true, studyUid }, 85],
      [{ imagesAvailable: null, studyUid }, 8],
      // Film only, or a PACS not yet connected to the regional platform.
      [{ imagesAvailable: false, studyUid: null }, 7],
    ]);
    return { ...base, kind: 'images', findings, ...images, equipment: equipmentFor(hospital, entry.category) };
  }

  function equipmentFor(hospital: DemoHospital, category: Category): Record<string, unknown> | null {
    if (category === 'mri') return { fieldStrengthTesla: hospital.tier === 'tertiary' ? 3 : 1.5 };
    if (category !== 'ct') return null;
    const [sliceCount, model] = random.weighted(ctScanners.map((scanner) => [scanner, weightOfScanner(hospital, scanner[0])] as const));
    return { sliceCount, model };
  }

  function weightOfScanner(hospital: DemoHospital, slices: number): number {
    if (hospital.tier === 'tertiary') return slices === 16 ? 0 : slices === 64 ? 6 : 4;
    return slices === 16 ? 5 : slices === 64 ? 5 : 0;
  }

  /** A new patient: where they live and a valid resident ID number no other patient has. */
  function identity(seen: Set<string>): { home: Home; idNumber: string } {
    const home = random.weighted(homes);
    let idNumber: string;
    do {
      const birth = `${random.int(1940, 2020)}${String(random.int(1, 12)).padStart(2, '0')}${String(random.int(1, 28)).padStart(2, '0')}`;
      idNumber = generateResidentId(birth, random.pick(regionCodes[home]), String(random.int(0, 999)).padStart(3, '0'));
    } while (seen.has(idNumber));
    seen.add(idNumber);
    return { home, idNumber };
  }

  /** A patient and every result of theirs. */
  function patient(seen: Set<string>): { idNumber: string; results: DemoResult[] } {
    const { home, idNumber } = identity(seen);
    const results: DemoResult[] = [];
    const episodes = random.int(1, 6);
    for (let e = 0; e < episodes; e += 1) {
      const daysAgo = random.chance(0.3) ? random.int(1, 30) : random.int(31, 400);
      // Office hours, China time, on a day before today: never in the future.
      const performedAt = new Date(chinaDayStart(now, daysAgo) + random.int(8 * 60, 17 * 60) * 60_000);
      const hospital = hospitalFor(home);
      const count = random.weighted([
        [1, 35],
        [2, 30],
        [3, 25],
        [4, 10],
      ] as const);
      for (const entry of itemsAt(hospital, count)) results.push(result(hospital, entry, idNumber, performedAt, daysAgo));
    }
    return { idNumber, results };
  }

  return { patient, identity, hospitalFor, itemsAt, result };
}

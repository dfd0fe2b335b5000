// The default exam-item catalogue: the items a new region starts from before its health commission
// tailors windows, prices and lists. Windows follow docs/domain.md, Default validity windows; prices are typical
// public-hospital fees in yuan (T1 = tertiary urban, the highest; T3 = the lowest); radiation is the
// typical adult effective dose (Mettler et al., Radiology 2008) and is given only for ionising imaging.
import type { Category } from '../rules/index.ts';

export type PriceTier = 'T1' | 'T2' | 'T3';

export interface CatalogueEntry {
  code: string;
  name: string;
  nameZh: string;
  category: Category;
  validityDays: number;
  negativeList: boolean;
  /** Analyte codes every lab item reports (a panel lists several); null for every other category. */
  analytes: string[] | null;
  prices: Record<PriceTier, number>;
  minutesSaved: number;
  radiationMsv: number | null;
  loinc: string[] | null;
}

/** Default validity windows in days, one per row of the table in docs/domain.md (plus reasoned ones below it). */
export const defaultWindows = {
  electrolytes: 7, // electrolytes, Ca, Mg, phosphate, Fe, lithium (Hubei list)
  chemistry: 30, // liver, kidney, lipids, glucose, proteins (Hubei list)
  hba1c: 60, // (Hubei list)
  routineHaematology: 7, // CBC, coagulation, urine and stool routine
  serology: 30, // hepatitis / HIV / syphilis serology, tumour markers, thyroid function
  imaging: 30, // X-ray, CT, MRI
  ultrasound: 7,
  restingEcg: 7,
  boneDensitometry: 180,
  // Not in the table; reasoned defaults aligned with Zhejiang's one-month look-back.
  ambulatoryEcg: 30,
  nuclear: 30,
  // A tissue diagnosis does not age like a lab value, and pathology is never recognised without a
  // consultation (gate 5), so this window only bounds how far back slides are offered for review.
  pathology: 365,
  // Negative-list results are never recognised; the schema requires a positive window, and one day
  // records that these values go stale within hours.
  negativeList: 1,
} as const;

/** Default minutes saved per avoided exam (published for lab, X-ray, ultrasound, CT and MRI; ECG, nuclear and pathology are reasoned). */
export const defaultMinutesSaved: Record<Category, number> = {
  lab: 30,
  xray: 30,
  ultrasound: 45,
  ct: 60,
  mri: 120,
  ecg: 20,
  nuclear: 90,
  pathology: 60,
};

interface Draft {
  code: string;
  name: string;
  nameZh: string;
  validityDays: number;
  /** [T1, T2, T3] in yuan. */
  prices: [number, number, number];
  analytes?: string[];
  negativeList?: boolean;
  radiationMsv?: number;
  minutesSaved?: number;
  loinc?: string[];
}

function entries(category: Category, drafts: Draft[]): CatalogueEntry[] {
  return drafts.map(({ prices: [t1, t2, t3], ...draft }) => ({
    code: draft.code,
    name: draft.name,
    nameZh: draft.nameZh,
    category,
    validityDays: draft.validityDays,
    negativeList: draft.negativeList ?? false,
    analytes: category === 'lab' ? (draft.analytes ?? []) : null,
    prices: { T1: t1, T2: t2, T3: t3 },
    minutesSaved: draft.minutesSaved ?? defaultMinutesSaved[category],
    radiationMsv: draft.radiationMsv ?? null,
    loinc: draft.loinc ?? null,
  }));
}

const W = defaultWindows;
const NEGATIVE = { validityDays: W.negativeList, negativeList: true } as const;

const CBC = ['WBC', 'RBC', 'HGB', 'HCT', 'MCV', 'MCH', 'MCHC', 'PLT', 'NEUT', 'LYMPH'];
const URINE = ['UPRO', 'UGLU', 'UKET', 'UBLD', 'ULEU', 'UNIT', 'UBIL', 'UURO', 'USG', 'UPH', 'URBC', 'UWBC'];
const LFT = ['ALT', 'AST', 'TBIL', 'DBIL', 'ALB', 'ALP', 'GGT'];
const RFT = ['CREA', 'UREA', 'UA', 'CYSC'];
const LIPIDS = ['TC', 'TG', 'HDLC', 'LDLC'];
const ELECTROLYTES = ['K', 'NA', 'CL', 'CA', 'MG', 'PHOS'];
const BMP = ['GLU', 'CREA', 'UREA', 'K', 'NA', 'CL', 'CA'];
const HBV_FIVE = ['HBSAG', 'HBSAB', 'HBEAG', 'HBEAB', 'HBCAB'];
// 术前四项: the infectious-disease screen done before surgery, endoscopy or transfusion.
const PREOP_INFECTIOUS = ['HBSAG', 'HCVAB', 'HIVAGAB', 'TPAB'];
const TUMOUR_MARKERS = ['AFP', 'CEA', 'CA125', 'CA199', 'CA153', 'TPSA', 'FPSA', 'CYFRA211', 'NSE'];
const THYROID = ['TT3', 'TT4', 'FT3', 'FT4', 'TSH'];
const BLOOD_GAS = ['PH', 'PCO2', 'PO2', 'HCO3', 'BE', 'SO2', 'LAC'];

const lab = entries('lab', [
  // Complete blood count, coagulation, urine and stool routine: 7 days.
  {
    code: 'LAB-CBC',
    name: 'Complete blood count',
    nameZh: '血常规',
    validityDays: W.routineHaematology,
    prices: [20, 18, 15],
    analytes: CBC,
    loinc: ['58410-2'],
  },
  {
    code: 'LAB-HGB',
    name: 'Haemoglobin',
    nameZh: '血红蛋白测定',
    validityDays: W.routineHaematology,
    prices: [6, 5, 4],
    analytes: ['HGB'],
    loinc: ['718-7'],
  },
  {
    code: 'LAB-COAG',
    name: 'Coagulation panel (PT/INR, APTT, fibrinogen, TT)',
    nameZh: '凝血四项',
    validityDays: W.routineHaematology,
    prices: [70, 60, 50],
    analytes: ['PT', 'INR', 'APTT', 'FIB', 'TT'],
  },
  {
    code: 'LAB-URINE',
    name: 'Urine routine',
    nameZh: '尿常规',
    validityDays: W.routineHaematology,
    prices: [15, 12, 10],
    analytes: URINE,
    loinc: ['24356-8'],
  },
  {
    code: 'LAB-STOOL',
    name: 'Stool routine with occult blood',
    nameZh: '粪便常规+隐血',
    validityDays: W.routineHaematology,
    prices: [15, 12, 10],
    analytes: ['SWBC', 'SRBC', 'SOVA', 'FOBT'],
  },
  {
    code: 'LAB-FOBT',
    name: 'Faecal occult blood',
    nameZh: '粪便隐血试验',
    validityDays: W.routineHaematology,
    prices: [10, 8, 6],
    analytes: ['FOBT'],
    loinc: ['2335-8'],
  },

  // Routine chemistry: 30 days.
  {
    code: 'LAB-LFT',
    name: 'Liver function panel',
    nameZh: '肝功能',
    validityDays: W.chemistry,
    prices: [75, 68, 60],
    analytes: LFT,
    loinc: ['24325-3'],
  },
  {
    code: 'LAB-ALT',
    name: 'Alanine aminotransferase',
    nameZh: '丙氨酸氨基转移酶',
    validityDays: W.chemistry,
    prices: [6, 5, 4],
    analytes: ['ALT'],
    loinc: ['1742-6'],
  },
  {
    code: 'LAB-AST',
    name: 'Aspartate aminotransferase',
    nameZh: '天门冬氨酸氨基转移酶',
    validityDays: W.chemistry,
    prices: [6, 5, 4],
    analytes: ['AST'],
    loinc: ['1920-8'],
  },
  {
    code: 'LAB-TBIL',
    name: 'Total bilirubin',
    nameZh: '总胆红素',
    validityDays: W.chemistry,
    prices: [6, 5, 4],
    analytes: ['TBIL'],
    loinc: ['1975-2'],
  },
  {
    code: 'LAB-ALB',
    name: 'Albumin',
    nameZh: '白蛋白',
    validityDays: W.chemistry,
    prices: [5, 4, 3],
    analytes: ['ALB'],
    loinc: ['1751-7'],
  },
  {
    code: 'LAB-RFT',
    name: 'Renal function panel',
    nameZh: '肾功能',
    validityDays: W.chemistry,
    prices: [60, 52, 45],
    analytes: RFT,
    loinc: ['24362-6'],
  },
  {
    code: 'LAB-CREA',
    name: 'Creatinine',
    nameZh: '肌酐',
    validityDays: W.chemistry,
    prices: [8, 7, 6],
    analytes: ['CREA'],
    loinc: ['2160-0', '14682-9'],
  },
  { code: 'LAB-UREA', name: 'Urea', nameZh: '尿素', validityDays: W.chemistry, prices: [7, 6, 5], analytes: ['UREA'] },
  { code: 'LAB-UA', name: 'Uric acid', nameZh: '尿酸', validityDays: W.chemistry, prices: [7, 6, 5], analytes: ['UA'], loinc: ['3084-1'] },
  {
    code: 'LAB-LIPID',
    name: 'Lipid panel',
    nameZh: '血脂四项',
    validityDays: W.chemistry,
    prices: [40, 35, 30],
    analytes: LIPIDS,
    loinc: ['57698-3'],
  },
  {
    code: 'LAB-TC',
    name: 'Total cholesterol',
    nameZh: '总胆固醇',
    validityDays: W.chemistry,
    prices: [6, 5, 4],
    analytes: ['TC'],
    loinc: ['2093-3'],
  },
  {
    code: 'LAB-TG',
    name: 'Triglycerides',
    nameZh: '甘油三酯',
    validityDays: W.chemistry,
    prices: [7, 6, 5],
    analytes: ['TG'],
    loinc: ['2571-8'],
  },
  {
    code: 'LAB-LDLC',
    name: 'LDL cholesterol',
    nameZh: '低密度脂蛋白胆固醇',
    validityDays: W.chemistry,
    prices: [12, 10, 8],
    analytes: ['LDLC'],
    loinc: ['18262-6'],
  },
  {
    code: 'LAB-GLU',
    name: 'Fasting glucose',
    nameZh: '空腹血糖',
    validityDays: W.chemistry,
    prices: [6, 5, 4],
    analytes: ['GLU'],
    loinc: ['2345-7', '14749-6'],
  },
  {
    code: 'LAB-HBA1C',
    name: 'Glycated haemoglobin (HbA1c)',
    nameZh: '糖化血红蛋白',
    validityDays: W.hba1c,
    prices: [60, 50, 45],
    analytes: ['HBA1C'],
    loinc: ['4548-4'],
  },

  // Electrolytes, Ca, Mg, phosphate, Fe, lithium: 7 days. A panel mixing groups takes its tightest window.
  {
    code: 'LAB-BMP',
    name: 'Basic metabolic panel',
    nameZh: '基础代谢组合',
    validityDays: W.electrolytes,
    prices: [45, 40, 35],
    analytes: BMP,
    loinc: ['24321-2'],
  },
  {
    code: 'LAB-ELEC',
    name: 'Electrolytes panel',
    nameZh: '电解质六项',
    validityDays: W.electrolytes,
    prices: [30, 26, 22],
    analytes: ELECTROLYTES,
    loinc: ['24326-1'],
  },
  { code: 'LAB-K', name: 'Potassium', nameZh: '钾', validityDays: W.electrolytes, prices: [6, 5, 4], analytes: ['K'], loinc: ['2823-3'] },
  { code: 'LAB-NA', name: 'Sodium', nameZh: '钠', validityDays: W.electrolytes, prices: [6, 5, 4], analytes: ['NA'], loinc: ['2951-2'] },
  { code: 'LAB-CA', name: 'Calcium', nameZh: '钙', validityDays: W.electrolytes, prices: [6, 5, 4], analytes: ['CA'], loinc: ['17861-6'] },
  {
    code: 'LAB-MG',
    name: 'Magnesium',
    nameZh: '镁',
    validityDays: W.electrolytes,
    prices: [6, 5, 4],
    analytes: ['MG'],
    loinc: ['19123-9'],
  },
  {
    code: 'LAB-PHOS',
    name: 'Phosphate',
    nameZh: '无机磷',
    validityDays: W.electrolytes,
    prices: [6, 5, 4],
    analytes: ['PHOS'],
    loinc: ['2777-1'],
  },
  {
    code: 'LAB-IRON',
    name: 'Iron studies',
    nameZh: '铁代谢三项',
    validityDays: W.electrolytes,
    prices: [30, 26, 22],
    analytes: ['FE', 'TIBC', 'UIBC'],
  },
  {
    code: 'LAB-FE',
    name: 'Serum iron',
    nameZh: '血清铁',
    validityDays: W.electrolytes,
    prices: [10, 8, 7],
    analytes: ['FE'],
    loinc: ['2498-4'],
  },
  {
    code: 'LAB-LITHIUM',
    name: 'Lithium (drug level)',
    nameZh: '血锂浓度',
    validityDays: W.electrolytes,
    prices: [30, 25, 20],
    analytes: ['LI'],
    loinc: ['14334-7'],
  },

  // Hepatitis / HIV / syphilis serology, tumour markers, thyroid function: 30 days.
  {
    code: 'LAB-HBV5',
    name: 'Hepatitis B serology (five markers)',
    nameZh: '乙肝两对半',
    validityDays: W.serology,
    prices: [80, 70, 60],
    analytes: HBV_FIVE,
  },
  {
    code: 'LAB-HBSAG',
    name: 'Hepatitis B surface antigen',
    nameZh: '乙型肝炎表面抗原',
    validityDays: W.serology,
    prices: [20, 18, 15],
    analytes: ['HBSAG'],
    loinc: ['5196-1'],
  },
  {
    code: 'LAB-HCV',
    name: 'Hepatitis C antibody',
    nameZh: '丙型肝炎抗体',
    validityDays: W.serology,
    prices: [40, 35, 30],
    analytes: ['HCVAB'],
    loinc: ['16128-1'],
  },
  {
    code: 'LAB-HIV',
    name: 'HIV antigen/antibody',
    nameZh: 'HIV抗原抗体',
    validityDays: W.serology,
    prices: [40, 35, 30],
    analytes: ['HIVAGAB'],
    loinc: ['56888-1'],
  },
  {
    code: 'LAB-SYPH',
    name: 'Treponema pallidum antibody',
    nameZh: '梅毒螺旋体抗体',
    validityDays: W.serology,
    prices: [30, 25, 20],
    analytes: ['TPAB'],
  },
  {
    code: 'LAB-INF4',
    name: 'Pre-procedure infectious screen',
    nameZh: '术前四项',
    validityDays: W.serology,
    prices: [130, 115, 100],
    analytes: PREOP_INFECTIOUS,
  },
  {
    code: 'LAB-TM',
    name: 'Tumour marker panel',
    nameZh: '肿瘤标志物组合',
    validityDays: W.serology,
    prices: [450, 400, 350],
    analytes: TUMOUR_MARKERS,
  },
  {
    code: 'LAB-AFP',
    name: 'Alpha-fetoprotein',
    nameZh: '甲胎蛋白',
    validityDays: W.serology,
    prices: [45, 40, 35],
    analytes: ['AFP'],
    loinc: ['1834-1'],
  },
  {
    code: 'LAB-CEA',
    name: 'Carcinoembryonic antigen',
    nameZh: '癌胚抗原',
    validityDays: W.serology,
    prices: [45, 40, 35],
    analytes: ['CEA'],
    loinc: ['2039-6'],
  },
  {
    code: 'LAB-CA125',
    name: 'CA 125',
    nameZh: '糖类抗原125',
    validityDays: W.serology,
    prices: [60, 55, 50],
    analytes: ['CA125'],
    loinc: ['10334-1'],
  },
  {
    code: 'LAB-CA199',
    name: 'CA 19-9',
    nameZh: '糖类抗原19-9',
    validityDays: W.serology,
    prices: [60, 55, 50],
    analytes: ['CA199'],
    loinc: ['24108-3'],
  },
  {
    code: 'LAB-PSA',
    name: 'Total prostate-specific antigen',
    nameZh: '总前列腺特异性抗原',
    validityDays: W.serology,
    prices: [50, 45, 40],
    analytes: ['TPSA'],
    loinc: ['2857-1'],
  },
  {
    code: 'LAB-TFT',
    name: 'Thyroid function panel',
    nameZh: '甲功五项',
    validityDays: W.serology,
    prices: [120, 105, 90],
    analytes: THYROID,
  },
  {
    code: 'LAB-TSH',
    name: 'Thyroid-stimulating hormone',
    nameZh: '促甲状腺激素',
    validityDays: W.serology,
    prices: [35, 30, 25],
    analytes: ['TSH'],
    loinc: ['3016-3'],
  },
  {
    code: 'LAB-THYAB',
    name: 'Thyroid antibodies (TgAb, TPOAb)',
    nameZh: '甲状腺抗体两项',
    validityDays: W.serology,
    prices: [80, 70, 60],
    analytes: ['TGAB', 'TPOAB'],
  },

  // Negative list: values that change within hours, or that must be fresh before a transfusion.
  {
    code: 'LAB-CTNI',
    name: 'Cardiac troponin I',
    nameZh: '心肌肌钙蛋白I',
    ...NEGATIVE,
    prices: [80, 70, 60],
    analytes: ['CTNI'],
    loinc: ['10839-9'],
  },
  {
    code: 'LAB-CARDIAC',
    name: 'Cardiac markers (cTnI, CK-MB, myoglobin, NT-proBNP)',
    nameZh: '心肌标志物四项',
    ...NEGATIVE,
    prices: [260, 230, 200],
    analytes: ['CTNI', 'CKMB', 'MYO', 'NTPROBNP'],
  },
  {
    code: 'LAB-BNP',
    name: 'B-type natriuretic peptide',
    nameZh: 'B型钠尿肽',
    ...NEGATIVE,
    prices: [180, 160, 140],
    analytes: ['BNP'],
    loinc: ['30934-4'],
  },
  {
    code: 'LAB-NTPROBNP',
    name: 'NT-proBNP',
    nameZh: 'N末端B型钠尿肽前体',
    ...NEGATIVE,
    prices: [200, 180, 160],
    analytes: ['NTPROBNP'],
    loinc: ['33762-6'],
  },
  {
    code: 'LAB-INFLAM',
    name: 'Inflammation markers (CRP, PCT, IL-6)',
    nameZh: '炎症指标三项',
    ...NEGATIVE,
    prices: [220, 195, 170],
    analytes: ['CRP', 'PCT', 'IL6'],
  },
  {
    code: 'LAB-CRP',
    name: 'C-reactive protein',
    nameZh: 'C反应蛋白',
    ...NEGATIVE,
    prices: [15, 12, 10],
    analytes: ['CRP'],
    loinc: ['1988-5'],
  },
  {
    code: 'LAB-PCT',
    name: 'Procalcitonin',
    nameZh: '降钙素原',
    ...NEGATIVE,
    prices: [120, 100, 90],
    analytes: ['PCT'],
    loinc: ['33959-8'],
  },
  {
    code: 'LAB-ABG',
    name: 'Arterial blood gas',
    nameZh: '动脉血气分析',
    ...NEGATIVE,
    prices: [100, 90, 80],
    analytes: BLOOD_GAS,
    loinc: ['24336-0'],
  },
  { code: 'LAB-LAC', name: 'Lactate', nameZh: '乳酸', ...NEGATIVE, prices: [20, 18, 15], analytes: ['LAC'], loinc: ['2524-7'] },
  {
    code: 'LAB-PRETX',
    name: 'Pre-transfusion compatibility testing',
    nameZh: '输血前相容性检测',
    ...NEGATIVE,
    prices: [100, 90, 80],
    analytes: ['ABO', 'RHD', 'ABSCR', 'XM'],
  },
  { code: 'LAB-XMATCH', name: 'Crossmatch', nameZh: '交叉配血', ...NEGATIVE, prices: [40, 35, 30], analytes: ['XM'] },
]);

const xray = entries('xray', [
  {
    code: 'XR-CHEST',
    name: 'Chest X-ray (PA and lateral)',
    nameZh: '胸部正侧位DR',
    validityDays: W.imaging,
    prices: [90, 75, 60],
    radiationMsv: 0.1,
  },
  { code: 'XR-ABD', name: 'Abdominal X-ray', nameZh: '腹部平片DR', validityDays: W.imaging, prices: [80, 70, 60], radiationMsv: 0.7 },
  { code: 'XR-SKULL', name: 'Skull X-ray', nameZh: '头颅正侧位DR', validityDays: W.imaging, prices: [90, 75, 60], radiationMsv: 0.1 },
  {
    code: 'XR-CSPINE',
    name: 'Cervical spine X-ray',
    nameZh: '颈椎正侧位DR',
    validityDays: W.imaging,
    prices: [100, 85, 70],
    radiationMsv: 0.2,
  },
  {
    code: 'XR-TSPINE',
    name: 'Thoracic spine X-ray',
    nameZh: '胸椎正侧位DR',
    validityDays: W.imaging,
    prices: [100, 85, 70],
    radiationMsv: 1.0,
  },
  {
    code: 'XR-LSPINE',
    name: 'Lumbar spine X-ray',
    nameZh: '腰椎正侧位DR',
    validityDays: W.imaging,
    prices: [110, 95, 80],
    radiationMsv: 1.5,
  },
  { code: 'XR-PELVIS', name: 'Pelvis X-ray', nameZh: '骨盆正位DR', validityDays: W.imaging, prices: [80, 70, 60], radiationMsv: 0.6 },
  { code: 'XR-HIP', name: 'Hip X-ray', nameZh: '髋关节DR', validityDays: W.imaging, prices: [80, 70, 60], radiationMsv: 0.7 },
  { code: 'XR-KNEE', name: 'Knee X-ray', nameZh: '膝关节正侧位DR', validityDays: W.imaging, prices: [90, 75, 60], radiationMsv: 0.005 },
  { code: 'XR-HAND', name: 'Hand X-ray', nameZh: '手正斜位DR', validityDays: W.imaging, prices: [60, 50, 40], radiationMsv: 0.001 },
  { code: 'XR-MAMMO', name: 'Mammography', nameZh: '乳腺钼靶', validityDays: W.imaging, prices: [200, 170, 140], radiationMsv: 0.4 },
  {
    code: 'XR-DXA',
    name: 'Bone densitometry (DXA)',
    nameZh: '双能X线骨密度测定',
    validityDays: W.boneDensitometry,
    prices: [180, 150, 120],
    radiationMsv: 0.001,
  },
]);

const ct = entries('ct', [
  { code: 'CT-HEAD', name: 'CT head', nameZh: '头颅CT平扫', validityDays: W.imaging, prices: [250, 220, 180], radiationMsv: 2 },
  {
    code: 'CT-SINUS',
    name: 'CT paranasal sinuses',
    nameZh: '鼻窦CT平扫',
    validityDays: W.imaging,
    prices: [250, 220, 180],
    radiationMsv: 0.6,
  },
  { code: 'CT-NECK', name: 'CT neck', nameZh: '颈部CT平扫', validityDays: W.imaging, prices: [300, 260, 220], radiationMsv: 3 },
  { code: 'CT-CHEST', name: 'CT chest', nameZh: '胸部CT平扫', validityDays: W.imaging, prices: [350, 300, 250], radiationMsv: 7 },
  {
    code: 'CT-LDCT',
    name: 'Low-dose CT chest (lung screening)',
    nameZh: '低剂量胸部CT',
    validityDays: W.imaging,
    prices: [250, 220, 200],
    radiationMsv: 1.5,
  },
  { code: 'CT-ABD', name: 'CT abdomen', nameZh: '上腹部CT平扫', validityDays: W.imaging, prices: [400, 350, 300], radiationMsv: 8 },
  {
    code: 'CT-ABDPEL',
    name: 'CT abdomen and pelvis',
    nameZh: '全腹部CT平扫',
    validityDays: W.imaging,
    prices: [600, 520, 450],
    radiationMsv: 10,
  },
  { code: 'CT-CSPINE', name: 'CT cervical spine', nameZh: '颈椎CT平扫', validityDays: W.imaging, prices: [300, 260, 220], radiationMsv: 6 },
  { code: 'CT-LSPINE', name: 'CT lumbar spine', nameZh: '腰椎CT平扫', validityDays: W.imaging, prices: [300, 260, 220], radiationMsv: 6 },
  {
    code: 'CT-CCTA',
    name: 'CT coronary angiography',
    nameZh: '冠状动脉CTA',
    validityDays: W.imaging,
    prices: [1100, 950, 800],
    radiationMsv: 12,
  },
  {
    code: 'CT-CTPA',
    name: 'CT pulmonary angiography',
    nameZh: '肺动脉CTA',
    validityDays: W.imaging,
    prices: [1000, 880, 750],
    radiationMsv: 15,
  },
]);

const mri = entries('mri', [
  { code: 'MRI-BRAIN', name: 'MRI brain', nameZh: '头颅MRI平扫', validityDays: W.imaging, prices: [700, 600, 500] },
  { code: 'MRI-CSPINE', name: 'MRI cervical spine', nameZh: '颈椎MRI平扫', validityDays: W.imaging, prices: [700, 600, 500] },
  { code: 'MRI-LSPINE', name: 'MRI lumbar spine', nameZh: '腰椎MRI平扫', validityDays: W.imaging, prices: [700, 600, 500] },
  { code: 'MRI-KNEE', name: 'MRI knee', nameZh: '膝关节MRI平扫', validityDays: W.imaging, prices: [650, 560, 480] },
  { code: 'MRI-SHOULDER', name: 'MRI shoulder', nameZh: '肩关节MRI平扫', validityDays: W.imaging, prices: [650, 560, 480] },
  { code: 'MRI-LIVER', name: 'MRI upper abdomen', nameZh: '上腹部MRI平扫', validityDays: W.imaging, prices: [800, 700, 600] },
  { code: 'MRI-MRCP', name: 'MR cholangiopancreatography', nameZh: '磁共振胰胆管成像', validityDays: W.imaging, prices: [900, 780, 650] },
  { code: 'MRI-PELVIS', name: 'MRI pelvis', nameZh: '盆腔MRI平扫', validityDays: W.imaging, prices: [800, 700, 600] },
  {
    code: 'MRI-PROSTATE',
    name: 'Multiparametric MRI prostate',
    nameZh: '前列腺多参数MRI',
    validityDays: W.imaging,
    prices: [900, 780, 650],
  },
  { code: 'MRI-BREAST', name: 'MRI breast (contrast)', nameZh: '乳腺MRI增强', validityDays: W.imaging, prices: [1000, 880, 750] },
]);

const ultrasound = entries('ultrasound', [
  {
    code: 'US-ABD',
    name: 'Abdominal ultrasound (liver, gallbladder, pancreas, spleen)',
    nameZh: '肝胆胰脾彩超',
    validityDays: W.ultrasound,
    prices: [150, 130, 110],
  },
  { code: 'US-THYROID', name: 'Thyroid ultrasound', nameZh: '甲状腺彩超', validityDays: W.ultrasound, prices: [100, 85, 70] },
  { code: 'US-BREAST', name: 'Breast ultrasound', nameZh: '乳腺彩超', validityDays: W.ultrasound, prices: [110, 95, 80] },
  { code: 'US-KUB', name: 'Urinary tract ultrasound', nameZh: '泌尿系彩超', validityDays: W.ultrasound, prices: [120, 100, 85] },
  { code: 'US-PELVIS', name: 'Gynaecological ultrasound', nameZh: '妇科彩超', validityDays: W.ultrasound, prices: [100, 85, 70] },
  { code: 'US-OB', name: 'Obstetric ultrasound', nameZh: '产科彩超', validityDays: W.ultrasound, prices: [150, 130, 110] },
  { code: 'US-CAROTID', name: 'Carotid ultrasound', nameZh: '颈动脉彩超', validityDays: W.ultrasound, prices: [150, 130, 110] },
  { code: 'US-DVT', name: 'Lower-limb venous ultrasound', nameZh: '双下肢静脉彩超', validityDays: W.ultrasound, prices: [180, 150, 130] },
  {
    code: 'US-ECHO',
    name: 'Transthoracic echocardiography',
    nameZh: '经胸超声心动图',
    validityDays: W.ultrasound,
    prices: [260, 220, 180],
  },
]);

const ecg = entries('ecg', [
  {
    code: 'ECG-REST',
    name: 'Resting 12-lead ECG',
    nameZh: '常规十二导联心电图',
    validityDays: W.restingEcg,
    prices: [30, 25, 20],
    loinc: ['11524-6'],
  },
  {
    code: 'ECG-HOLTER',
    name: '24-hour Holter ECG',
    nameZh: '24小时动态心电图',
    validityDays: W.ambulatoryEcg,
    prices: [200, 170, 140],
    minutesSaved: 30,
  },
  {
    code: 'ECG-STRESS',
    name: 'Exercise ECG (treadmill)',
    nameZh: '运动平板试验',
    validityDays: W.ambulatoryEcg,
    prices: [250, 210, 180],
    minutesSaved: 45,
  },
]);

const nuclear = entries('nuclear', [
  {
    code: 'NM-BONE',
    name: 'Whole-body bone scan',
    nameZh: '全身骨显像',
    validityDays: W.nuclear,
    prices: [700, 620, 550],
    radiationMsv: 6,
  },
  {
    code: 'NM-PETCT',
    name: 'FDG PET-CT',
    nameZh: 'PET-CT全身显像',
    validityDays: W.nuclear,
    prices: [8000, 7500, 7000],
    radiationMsv: 25,
    minutesSaved: 120,
  },
  {
    code: 'NM-MPI',
    name: 'Myocardial perfusion SPECT',
    nameZh: '心肌灌注显像',
    validityDays: W.nuclear,
    prices: [1400, 1250, 1100],
    radiationMsv: 9.4,
  },
  {
    code: 'NM-THYROID',
    name: 'Thyroid scintigraphy',
    nameZh: '甲状腺静态显像',
    validityDays: W.nuclear,
    prices: [200, 170, 140],
    radiationMsv: 4.8,
  },
  {
    code: 'NM-RENAL',
    name: 'Renal dynamic scintigraphy (GFR)',
    nameZh: '肾动态显像',
    validityDays: W.nuclear,
    prices: [450, 400, 350],
    radiationMsv: 1.8,
  },
]);

const pathology = entries('pathology', [
  {
    code: 'PATH-HISTO',
    name: 'Histopathology (biopsy or resection)',
    nameZh: '组织病理学检查',
    validityDays: W.pathology,
    prices: [250, 220, 180],
  },
  {
    code: 'PATH-IHC',
    name: 'Immunohistochemistry (per marker)',
    nameZh: '免疫组织化学染色',
    validityDays: W.pathology,
    prices: [120, 100, 90],
  },
  { code: 'PATH-CYTO', name: 'Non-gynaecological cytology', nameZh: '非妇科细胞学检查', validityDays: W.pathology, prices: [120, 100, 80] },
  {
    code: 'PATH-TCT',
    name: 'Cervical liquid-based cytology',
    nameZh: '宫颈液基细胞学检查',
    validityDays: W.pathology,
    prices: [180, 150, 120],
  },
]);

export const defaultCatalogue: CatalogueEntry[] = [...lab, ...xray, ...ct, ...mri, ...ultrasound, ...ecg, ...nuclear, ...pathology];

export const catalogueCodes: string[] = defaultCatalogue.map((entry) => entry.code);

/** The catalogue indexed by recognition code; a new Map on every call, so no caller shares one. */
export function catalogueByCode(catalogue: readonly CatalogueEntry[] = defaultCatalogue): Map<string, CatalogueEntry> {
  return new Map(catalogue.map((entry) => [entry.code, entry]));
}

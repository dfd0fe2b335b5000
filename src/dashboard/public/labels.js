// Names the page shows for registry values: cities in the reader's language, exam categories, and
// hospitals labelled so that namesakes ("第一人民医院" in two cities) can be told apart. Pure
// functions of their arguments (no page state), so the tests can call them directly.

// The registry stores cities romanised; Chinese readers expect their own names. Zhejiang's eleven
// prefecture-level cities and the Yangtze River Delta's main ones, keyed by city and province where
// the romanisation is shared (台州 in Zhejiang, 泰州 in Jiangsu).
const citiesZh = {
  Hangzhou: '杭州',
  Ningbo: '宁波',
  Wenzhou: '温州',
  Jiaxing: '嘉兴',
  Huzhou: '湖州',
  Shaoxing: '绍兴',
  Jinhua: '金华',
  Quzhou: '衢州',
  Zhoushan: '舟山',
  'Taizhou/Zhejiang': '台州',
  Lishui: '丽水',
  Shanghai: '上海',
  Nanjing: '南京',
  Suzhou: '苏州',
  Wuxi: '无锡',
  Changzhou: '常州',
  Nantong: '南通',
  Yangzhou: '扬州',
  'Taizhou/Jiangsu': '泰州',
  Hefei: '合肥',
  Wuhu: '芜湖',
};
const ambiguous = new Set(['Taizhou']);

/** A city in the reader's language: the Chinese name when known, else the name as registered. */
export function cityName(city, province, language) {
  if (!city) return '';
  if (language !== 'zh') return city;
  const key = ambiguous.has(city) ? `${city}/${province ?? 'Zhejiang'}` : city;
  return Object.hasOwn(citiesZh, key) ? citiesZh[key] : city;
}

/**
 * "name (city · id)": the name a hospital is known by, then where it is and its registry id, which
 * alone is unique. Full-width brackets in Chinese text.
 */
export function hospitalLabel(hospital, language) {
  if (!hospital) return '';
  const place = [cityName(hospital.city, hospital.province, language), hospital.id].filter(Boolean).join(' · ');
  const name = hospital.name || hospital.id;
  if (!place || place === name) return name;
  return language === 'zh' ? `${name}（${place}）` : `${name} (${place})`;
}

const categories = {
  lab: { en: 'Laboratory', zh: '检验' },
  xray: { en: 'X-ray', zh: 'X线' },
  ct: { en: 'CT', zh: 'CT' },
  mri: { en: 'MRI', zh: '磁共振' },
  ultrasound: { en: 'Ultrasound', zh: '超声' },
  ecg: { en: 'ECG', zh: '心电图' },
  nuclear: { en: 'Nuclear medicine', zh: '核医学' },
  pathology: { en: 'Pathology', zh: '病理' },
  all: { en: 'Every item', zh: '全部项目' },
};

/** The exam categories the reports filter by, in the API's order. */
export const categoryCodes = ['lab', 'xray', 'ct', 'mri', 'ultrasound', 'ecg', 'nuclear', 'pathology'];

export function categoryName(code, language) {
  return Object.hasOwn(categories, code) ? categories[code][language === 'zh' ? 'zh' : 'en'] : code;
}

/**
 * Looks hospitals up by id: the registry's entry when the page has it, else what a report row says
 * (its id and name), so a label is never empty.
 */
export function hospitalDirectory(hospitals) {
  const byId = new Map(hospitals.map((h) => [h.id, h]));
  return (id, fallbackName) => byId.get(id) ?? { id, name: fallbackName || id, city: null, province: null };
}

// The generated province, shared by `npm run generate` and `npm run bench`: its hospitals, scopes,
// item popularity and, above all, the patients, whose resident IDs are a pure function of their
// index so the benchmark can recreate any generated patient without reading the database.
import { createHmac } from 'node:crypto';
import { allianceItems, nationalItems } from '../../src/demo/hospitals.ts';
import { generateResidentId } from '../../src/modules/patients/index.ts';
import type { Tier } from '../../src/modules/rules/index.ts';

export interface GeneratedCity {
  name: string;
  scopeId: string;
  /** The region code of resident IDs issued there (a central district of the city). */
  region: string;
  hospitals: number;
}

/** Zhejiang's 11 prefecture-level cities; hospital counts roughly follow population (372 in all). */
export const cities: GeneratedCity[] = [
  { name: 'Hangzhou', scopeId: 'HZ', region: '330102', hospitals: 68 },
  { name: 'Ningbo', scopeId: 'NB', region: '330203', hospitals: 52 },
  { name: 'Wenzhou', scopeId: 'WZ', region: '330302', hospitals: 56 },
  { name: 'Jiaxing', scopeId: 'JX', region: '330402', hospitals: 28 },
  { name: 'Huzhou', scopeId: 'HU', region: '330502', hospitals: 20 },
  { name: 'Shaoxing', scopeId: 'SX', region: '330602', hospitals: 32 },
  { name: 'Jinhua', scopeId: 'JH', region: '330702', hospitals: 40 },
  { name: 'Quzhou', scopeId: 'QZ', region: '330802', hospitals: 16 },
  { name: 'Zhoushan', scopeId: 'ZS', region: '330902', hospitals: 10 },
  { name: 'Taizhou', scopeId: 'TZ', region: '331002', hospitals: 34 },
  { name: 'Lishui', scopeId: 'LS', region: '331102', hospitals: 16 },
];

export interface GeneratedHospital {
  /** 0-based position in `hospitals`; the SQL generator addresses hospitals by it. */
  num: number;
  id: string;
  name: string;
  tier: Tier;
  grade: 'A' | 'B' | null;
  city: number;
  priceTier: 'T1' | 'T2' | 'T3' | null;
}

/** Per city: about 30% tertiary, 62% secondary, the rest primary (township centres in consortia). */
export const hospitals: GeneratedHospital[] = cities
  .flatMap((city, c) =>
    Array.from({ length: city.hospitals }, (_, i) => {
      const tertiary = Math.round(city.hospitals * 0.3);
      const primaryFrom = city.hospitals - Math.max(2, Math.round(city.hospitals * 0.08));
      const tier: Tier = i < tertiary ? 'tertiary' : i < primaryFrom ? 'secondary' : 'primary';
      const id = `${city.scopeId}-${String(i + 1).padStart(3, '0')}`;
      const label = tier === 'tertiary' ? '第一人民医院' : tier === 'secondary' ? '人民医院' : '镇卫生院';
      return {
        num: 0,
        id,
        name: `${city.name}${i + 1}号${label}`,
        tier,
        grade: tier === 'primary' ? null : i < tertiary / 2 || (tier === 'secondary' && i % 3 !== 0) ? 'A' : 'B',
        city: c,
        // A few hospitals have no price tier: they are priced at the item's lowest price.
        priceTier: i % 25 === 24 ? null : tier === 'tertiary' ? 'T1' : tier === 'secondary' ? 'T2' : 'T3',
      } satisfies GeneratedHospital;
    }),
  )
  .map((h, num) => ({ ...h, num }));

/** County medical communities: the first secondary hospital and the primary centres of six cities. */
export const consortia = ['HZ', 'NB', 'WZ', 'JH', 'TZ', 'SX'].map((scopeId) => {
  const c = cities.findIndex((city) => city.scopeId === scopeId);
  const inCity = hospitals.filter((h) => h.city === c);
  const members = [inCity.find((h) => h.tier === 'secondary')!.id, ...inCity.filter((h) => h.tier === 'primary').map((h) => h.id)];
  return { id: `${scopeId}-CONSORTIUM`, name: `${cities[c].name}县域医共体`, members };
});

/** The Yangtze River Delta alliance: the two leading tertiary hospitals of every city. */
export const allianceMembers = cities.flatMap((_, c) =>
  hospitals
    .filter((h) => h.city === c && h.tier === 'tertiary')
    .slice(0, 2)
    .map((h) => h.id),
);
export { allianceItems, nationalItems };

/**
 * Ordering popularity (relative weights): blood counts and routine chemistry lead, then chest X-ray and
 * chest CT, urine, ECG and abdominal ultrasound; every other catalogue item has weight 2.
 */
export const itemPopularity: Record<string, number> = {
  'LAB-CBC': 120,
  'LAB-LFT': 70,
  'LAB-RFT': 65,
  'LAB-URINE': 60,
  'LAB-GLU': 45,
  'XR-CHEST': 45,
  'LAB-LIPID': 40,
  'CT-CHEST': 40,
  'LAB-COAG': 35,
  'ECG-REST': 35,
  'LAB-ELEC': 30,
  'US-ABD': 30,
  'LAB-CRP': 25,
  'LAB-INF4': 20,
  'LAB-HBA1C': 18,
  'CT-HEAD': 18,
  'LAB-BMP': 15,
  'LAB-HBV5': 15,
  'LAB-TFT': 15,
  'LAB-STOOL': 12,
  'US-THYROID': 12,
  'LAB-TM': 10,
  'LAB-CARDIAC': 8,
  'MRI-BRAIN': 8,
  'MRI-LSPINE': 6,
  'US-BREAST': 6,
  'CT-ABD': 6,
  'XR-LSPINE': 5,
  'US-ECHO': 5,
};
export const defaultPopularity = 2;

/** Hospitals by city for the SQL generator: tertiary hospitals see three times a primary's volume. */
export function hospitalSlots(): { slots: number[]; cityStart: number[]; cityLength: number[] } {
  const slots: number[] = [];
  const cityStart: number[] = [];
  const cityLength: number[] = [];
  cities.forEach((_, c) => {
    cityStart.push(slots.length);
    for (const h of hospitals.filter((x) => x.city === c)) {
      const weight = h.tier === 'tertiary' ? 3 : h.tier === 'secondary' ? 2 : 1;
      for (let w = 0; w < weight; w += 1) slots.push(h.num);
    }
    cityLength.push(slots.length - cityStart[c]);
  });
  return { slots, cityStart, cityLength };
}

/** Each catalogue item repeated by its popularity: a uniform draw over the slots is a weighted draw. */
export function itemSlots(codes: readonly string[]): number[] {
  return codes.flatMap((code, num) => Array.from({ length: itemPopularity[code] ?? defaultPopularity }, () => num));
}

const BIRTH_DAYS = 30_000; // ~82 years of birth dates, from 1935-01-01
const BIRTH_EPOCH = Date.UTC(1935, 0, 1);

/**
 * The resident ID of generated patient `idx`: home city idx % 11, then a birth date and a sequence
 * number drawn injectively from idx (distinct for every idx below 330 million).
 */
export function residentIdOf(idx: number): string {
  const city = cities[idx % cities.length];
  const q = Math.floor(idx / cities.length);
  const day = (q * 7919) % BIRTH_DAYS; // 7919 is prime to 30,000: a permutation of the days
  const seq = Math.floor(q / BIRTH_DAYS) % 1000;
  const birth = new Date(BIRTH_EPOCH + day * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  return generateResidentId(birth, city.region, String(seq).padStart(3, '0'));
}

export const homeCityOf = (idx: number) => idx % cities.length;

export const benchClientId = (hospitalId: string) => `bench-${hospitalId}`;
export const benchAdminClientId = 'bench-admin';

/**
 * The generated clients' shared secret, derived from the patient-key secret so that the benchmark
 * (which has the same configuration) can authenticate without the generator storing anything.
 */
export function benchClientSecret(patientKeySecret: string): string {
  return createHmac('sha256', patientKeySecret).update('mre-bench-client-secret').digest('base64url');
}

/** Lets the benchmark verify it runs with the patient-key secret the data was generated with. */
export function keyFingerprint(patientKeySecret: string): string {
  return createHmac('sha256', patientKeySecret).update('mre-bench-fingerprint').digest('hex').slice(0, 16);
}

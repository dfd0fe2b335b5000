// The demo province's hospitals and recognition scopes. Names follow the usual patterns of Chinese
// public hospitals, but the demo is fiction: its certification events (suspensions, a revocation for
// falsified data) describe no real institution.
import type { PriceTier } from '../modules/registry/index.ts';
import type { ScopeLevel, Tier } from '../modules/rules/index.ts';

export interface DemoHospital {
  id: string;
  name: string;
  tier: Tier;
  grade: 'A' | 'B' | 'C' | null;
  province: string;
  city: string;
  county: string | null;
  priceTier: PriceTier | null;
}

export interface DemoScope {
  id: string;
  level: ScopeLevel;
  name: string;
  region: string | null;
  members: string[] | null;
  items: string[] | null;
}

type Row = [id: string, name: string, tier: Tier, grade: 'A' | 'B' | 'C' | null, county: string, priceTier: PriceTier | null];

function located(province: string, city: string, rows: Row[]): DemoHospital[] {
  return rows.map(([id, name, tier, grade, county, priceTier]) => ({ id, name, tier, grade, province, city, county, priceTier }));
}

export const zhejiangCities = ['Hangzhou', 'Ningbo', 'Wenzhou', 'Shaoxing'] as const;

/** The Tonglu county medical community (县域医共体): the county hospital and its township health centres. */
export const tongluConsortium = ['HZ-012', 'HZ-013', 'HZ-014', 'HZ-015', 'HZ-016'] as const;

export const demoHospitals: DemoHospital[] = [
  ...located('Zhejiang', 'Hangzhou', [
    ['HZ-001', '杭州市第一人民医院', 'tertiary', 'A', 'Shangcheng', 'T1'],
    ['HZ-002', '杭州市中医院', 'tertiary', 'A', 'Xihu', 'T1'],
    ['HZ-003', '杭州市第三人民医院', 'tertiary', 'A', 'Shangcheng', 'T1'],
    ['HZ-004', '杭州市萧山区第一人民医院', 'tertiary', 'B', 'Xiaoshan', 'T1'],
    ['HZ-005', '杭州市西湖区人民医院', 'secondary', 'A', 'Xihu', 'T2'],
    ['HZ-006', '杭州市拱墅区人民医院', 'secondary', 'A', 'Gongshu', 'T2'],
    ['HZ-007', '杭州市滨江区中医院', 'secondary', 'B', 'Binjiang', 'T2'],
    ['HZ-008', '杭州市余杭区第二人民医院', 'secondary', 'A', 'Yuhang', 'T2'],
    ['HZ-009', '杭州明德医院', 'secondary', 'B', 'Gongshu', null],
    ['HZ-010', '上城区湖滨街道社区卫生服务中心', 'primary', null, 'Shangcheng', 'T3'],
    ['HZ-011', '西湖区西溪街道社区卫生服务中心', 'primary', null, 'Xihu', 'T3'],
    ['HZ-012', '桐庐县第一人民医院', 'secondary', 'A', 'Tonglu', 'T2'],
    ['HZ-013', '桐庐县分水镇中心卫生院', 'primary', null, 'Tonglu', 'T3'],
    ['HZ-014', '桐庐县富春江镇卫生院', 'primary', null, 'Tonglu', 'T3'],
    ['HZ-015', '桐庐县横村镇卫生院', 'primary', null, 'Tonglu', null],
    ['HZ-016', '桐庐县百江镇卫生院', 'primary', null, 'Tonglu', 'T3'],
  ]),
  ...located('Zhejiang', 'Ningbo', [
    ['NB-001', '宁波市第一医院', 'tertiary', 'A', 'Haishu', 'T1'],
    ['NB-002', '宁波市第二医院', 'tertiary', 'A', 'Haishu', 'T1'],
    ['NB-003', '宁波市中医院', 'tertiary', 'A', 'Haishu', 'T1'],
    ['NB-004', '慈溪市人民医院', 'tertiary', 'B', 'Cixi', 'T1'],
    ['NB-005', '宁波市鄞州区第三医院', 'secondary', 'A', 'Yinzhou', 'T2'],
    ['NB-006', '宁波市北仑区人民医院', 'secondary', 'A', 'Beilun', 'T2'],
    ['NB-007', '宁波市江北区人民医院', 'secondary', 'B', 'Jiangbei', 'T2'],
    ['NB-008', '余姚市第二人民医院', 'secondary', 'B', 'Yuyao', 'T2'],
    ['NB-009', '宁波仁和医院', 'secondary', 'B', 'Zhenhai', null],
    ['NB-010', '海曙区白云街道社区卫生服务中心', 'primary', null, 'Haishu', 'T3'],
    ['NB-011', '鄞州区中河街道社区卫生服务中心', 'primary', null, 'Yinzhou', 'T3'],
  ]),
  ...located('Zhejiang', 'Wenzhou', [
    ['WZ-001', '温州市人民医院', 'tertiary', 'A', 'Lucheng', 'T1'],
    ['WZ-002', '温州市中心医院', 'tertiary', 'A', 'Lucheng', 'T1'],
    ['WZ-003', '温州市中西医结合医院', 'tertiary', 'B', 'Lucheng', 'T1'],
    ['WZ-004', '瑞安市人民医院', 'tertiary', 'B', "Rui'an", 'T1'],
    ['WZ-005', '温州市瓯海区人民医院', 'secondary', 'A', 'Ouhai', 'T2'],
    ['WZ-006', '温州市龙湾区第一人民医院', 'secondary', 'A', 'Longwan', 'T2'],
    ['WZ-007', '乐清市第三人民医院', 'secondary', 'B', 'Yueqing', 'T2'],
    ['WZ-008', '温州华康医院', 'secondary', 'B', 'Lucheng', null],
    ['WZ-009', '鹿城区五马街道社区卫生服务中心', 'primary', null, 'Lucheng', 'T3'],
    ['WZ-010', '瓯海区娄桥街道社区卫生服务中心', 'primary', null, 'Ouhai', 'T3'],
    ['WZ-011', '龙湾区永中街道社区卫生服务中心', 'primary', null, 'Longwan', 'T3'],
  ]),
  ...located('Zhejiang', 'Shaoxing', [
    ['SX-001', '绍兴市人民医院', 'tertiary', 'A', 'Yuecheng', 'T1'],
    ['SX-002', '绍兴市中医院', 'tertiary', 'A', 'Yuecheng', 'T1'],
    ['SX-003', '诸暨市人民医院', 'tertiary', 'B', 'Zhuji', 'T1'],
    ['SX-004', '绍兴市上虞人民医院', 'tertiary', 'B', 'Shangyu', 'T1'],
    ['SX-005', '绍兴市柯桥区中心医院', 'secondary', 'A', 'Keqiao', 'T2'],
    ['SX-006', '嵊州市第二人民医院', 'secondary', 'A', 'Shengzhou', 'T2'],
    ['SX-007', '绍兴市越城区人民医院', 'secondary', 'B', 'Yuecheng', 'T2'],
    ['SX-008', '绍兴和美医院', 'secondary', 'B', 'Yuecheng', null],
    ['SX-009', '越城区塔山街道社区卫生服务中心', 'primary', null, 'Yuecheng', 'T3'],
    ['SX-010', '柯桥区柯桥街道社区卫生服务中心', 'primary', null, 'Keqiao', 'T3'],
    ['SX-011', '上虞区百官街道社区卫生服务中心', 'primary', null, 'Shangyu', 'T3'],
  ]),
  // Yangtze River Delta partners outside Zhejiang (members of the alliance only).
  ...located('Shanghai', 'Shanghai', [
    ['SH-001', '上海市第一人民医院', 'tertiary', 'A', 'Hongkou', 'T1'],
    ['SH-002', '上海市第六人民医院', 'tertiary', 'A', 'Xuhui', 'T1'],
  ]),
  ...located('Jiangsu', 'Nanjing', [['NJ-001', '江苏省人民医院', 'tertiary', 'A', 'Gulou', 'T1']]),
  ...located('Jiangsu', 'Suzhou', [
    ['SZ-001', '苏州市立医院', 'tertiary', 'A', 'Gusu', 'T1'],
    ['SZ-002', '苏州市吴江区第一人民医院', 'tertiary', 'B', 'Wujiang', 'T1'],
  ]),
];

export const allianceMembers = [
  'HZ-001',
  'HZ-002',
  'NB-001',
  'NB-002',
  'WZ-001',
  'SX-001',
  'SH-001',
  'SH-002',
  'NJ-001',
  'SZ-001',
  'SZ-002',
];

/** The alliance's own list: ~30 common items every member can perform to the same standard. */
export const allianceItems = [
  'LAB-CBC',
  'LAB-URINE',
  'LAB-STOOL',
  'LAB-COAG',
  'LAB-LFT',
  'LAB-RFT',
  'LAB-LIPID',
  'LAB-GLU',
  'LAB-HBA1C',
  'LAB-ELEC',
  'LAB-HBV5',
  'LAB-INF4',
  'LAB-TFT',
  'LAB-TM',
  'LAB-AFP',
  'LAB-CEA',
  'XR-CHEST',
  'XR-CSPINE',
  'XR-LSPINE',
  'XR-KNEE',
  'CT-HEAD',
  'CT-CHEST',
  'CT-ABD',
  'CT-LSPINE',
  'MRI-BRAIN',
  'MRI-LSPINE',
  'MRI-KNEE',
  'US-ABD',
  'US-THYROID',
  'ECG-REST',
];

/** The national common items, piloted by grade-A tertiary hospitals (the 2030 target, docs/domain.md). */
export const nationalItems = [
  'LAB-CBC',
  'LAB-URINE',
  'LAB-LFT',
  'LAB-RFT',
  'LAB-GLU',
  'LAB-LIPID',
  'LAB-HBV5',
  'XR-CHEST',
  'CT-HEAD',
  'CT-CHEST',
  'MRI-BRAIN',
  'ECG-REST',
];

const cityNamesZh: Record<(typeof zhejiangCities)[number], string> = {
  Hangzhou: '杭州',
  Ningbo: '宁波',
  Wenzhou: '温州',
  Shaoxing: '绍兴',
};
export const cityScopeIds: Record<(typeof zhejiangCities)[number], string> = {
  Hangzhou: 'HZ',
  Ningbo: 'NB',
  Wenzhou: 'WZ',
  Shaoxing: 'SX',
};

export const demoScopes: DemoScope[] = [
  {
    id: 'NATIONAL',
    level: 'national',
    name: '全国检查检验结果互认（国家共性项目试点）',
    region: null,
    members: null,
    items: nationalItems,
  },
  { id: 'ZJ', level: 'province', name: '浙江省医学检查检验结果互认', region: 'Zhejiang', members: null, items: null },
  ...zhejiangCities.map((city): DemoScope => ({
    id: cityScopeIds[city],
    level: 'city',
    name: `${cityNamesZh[city]}市检查检验结果互认`,
    region: city,
    members: null,
    items: null,
  })),
  { id: 'TL-CONSORTIUM', level: 'consortium', name: '桐庐县医共体', region: null, members: [...tongluConsortium], items: null },
  { id: 'YRD', level: 'alliance', name: '长三角检查检验结果互认联盟', region: null, members: allianceMembers, items: allianceItems },
];

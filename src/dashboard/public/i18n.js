// Every label of the page, in English and Chinese. Elements name their key in data-i18n (text)
// or data-i18n-aria (aria-label); the script fills them in whenever the language changes.

const dictionaries = {
  en: {
    title: 'Mutual recognition dashboard',
    subtitle: 'Exam results reused instead of repeated',
    switchLanguage: 'Switch to Chinese',
    languageButton: '中文',
    signIn: 'Sign in',
    signInWithCredentials: 'Client credentials',
    clientId: 'Client ID',
    clientSecret: 'Client secret',
    pasteToken: 'Or paste an access token',
    token: 'Access token',
    useToken: 'Use token',
    signOut: 'Sign out',
    signedInAs: 'Signed in: {who}',
    administrator: 'administrator',
    hospitalUser: 'hospital {hospital}',
    dismiss: 'Dismiss',
    filters: 'Filters',
    from: 'From',
    to: 'To',
    city: 'City',
    allCities: 'All cities',
    hospitalFilter: 'Hospital',
    allHospitals: 'All hospitals',
    category: 'Category',
    allCategories: 'All categories',
    period: 'Period',
    last30Days: 'Last 30 days',
    last90Days: 'Last 90 days',
    last12Months: 'Last 12 full months',
    customPeriod: 'Custom',
    apply: 'Apply',
    loading: 'Loading…',
    updated: 'Figures for {from} to {to} (Asia/Shanghai days)',
    keyFigures: 'Key figures',
    kpiRecognitions: 'Recognitions',
    kpiYuan: 'Yuan saved',
    kpiHours: 'Hours saved',
    kpiMsv: 'mSv avoided',
    kpiRate: 'Recognition rate',
    noteSameHospital: '{count} within one hospital',
    noteChecks: '{count} eligible check items',
    badToken: 'That is not an access token.',
    notePerPatient: '{minutes} min per patient',
    trend: 'Daily trend',
    trendMonthly: 'Monthly trend',
    trendDescription: 'Chart of recognitions and yuan saved over time',
    recognitionsSeries: 'Recognitions',
    yuanSeries: 'Yuan saved',
    topItems: 'Top items',
    itemsDescription: 'Bar chart of the items recognised most often',
    declineReasons: 'Decline reasons',
    declinesDescription: 'Chart of declines by reason',
    flaggedNote: '{flagged} of {declines} declines flagged for review',
    noteCategoryDeclines: 'Category not applied: declines are counted by reason, not by exam category.',
    noteCategoryFlows: 'Category not applied: flows are counted per pair of hospitals, not per exam category.',
    noteFlowsCity: 'Flows into hospitals in {city}.',
    noteFlowsHospital: 'Flows into or out of {hospital}.',
    notePeriodCertifications: 'Status today: the period does not apply to certification.',
    noteCategoryCertifications: 'Category {category}, and events covering every item.',
    certifications: 'Certifications today',
    certificationsCaption: 'Hospitals with a suspended or revoked certification in some scope',
    certificationSummary: '{active} of {hospitals} hospitals fully certified; {suspended} with a suspension, {revoked} revoked',
    allCertified: 'Every hospital listed is fully certified.',
    categoryColumn: 'Category',
    statusColumn: 'Status',
    suspended: 'Suspended',
    revoked: 'Revoked',
    inScopes: '{status} in {count} scopes',
    inScope: '{status} in 1 scope',
    noChecks: 'No recognition checks in this period for these filters.',
    noRecognitions: 'No recognitions in this period for these filters.',
    noDeclines: 'No declines in this period for these filters.',
    noCertifications: 'No certification events for these filters.',
    league: 'Hospital league table',
    leagueCaption: 'Receiving hospitals by recognition rate (fewer than 10 eligible check items: listed last)',
    rank: '#',
    hospital: 'Hospital',
    rate: 'Rate',
    recognitions: 'Recognitions',
    declines: 'Declines',
    yuan: 'Yuan',
    flows: 'Top flows',
    flowsCaption: 'Results issued by one hospital and reused by another, most recognitions first',
    issuer: 'Issuing hospital',
    receiver: 'Receiving hospital',
    downloadCsv: 'Download CSV',
    noData: 'No data for this period and these filters.',
    sessionExpired: 'Your session has expired: sign in again.',
    unreachable: 'The service could not be reached.',
    badPeriod: 'The start date must not be after the end date.',
    D1_CONDITION_CHANGED: 'Condition changed',
    D2_RAPID_CHANGE: 'Rapidly changing picture',
    D3_MAJOR_INTERVENTION: 'Before surgery or transfusion',
    D4_EMERGENCY: 'Emergency',
    D5_FORENSIC: 'Forensic or disability assessment',
    D6_OTHER: 'Other',
    D7_PATIENT_REQUEST: 'Patient request',
    D8_NO_REFERENCE_VALUE: 'No reference value',
    D9_EQUIPMENT_QUALITY: 'Equipment or quality',
    D10_CRITICAL_FOLLOWUP: 'Critical value follow-up',
  },
  zh: {
    title: '检查检验结果互认看板',
    subtitle: '结果互认，减少重复检查',
    switchLanguage: '切换为英文',
    languageButton: 'English',
    signIn: '登录',
    signInWithCredentials: '客户端凭据',
    clientId: '客户端 ID',
    clientSecret: '客户端密钥',
    pasteToken: '或粘贴访问令牌',
    token: '访问令牌',
    useToken: '使用令牌',
    signOut: '退出登录',
    signedInAs: '当前身份：{who}',
    administrator: '管理员',
    hospitalUser: '医院 {hospital}',
    dismiss: '关闭',
    filters: '筛选',
    from: '开始日期',
    to: '结束日期',
    city: '城市',
    allCities: '全部城市',
    hospitalFilter: '医院',
    allHospitals: '全部医院',
    category: '检查类别',
    allCategories: '全部类别',
    period: '时段',
    last30Days: '近30天',
    last90Days: '近90天',
    last12Months: '近12个完整月',
    customPeriod: '自定义',
    apply: '查询',
    loading: '加载中…',
    updated: '{from} 至 {to} 的数据（北京时间）',
    keyFigures: '关键指标',
    kpiRecognitions: '互认次数',
    kpiYuan: '节省费用（元）',
    kpiHours: '节省时间（小时）',
    kpiMsv: '减少辐射（mSv）',
    kpiRate: '互认率',
    noteSameHospital: '其中本院 {count} 次',
    noteChecks: '可互认检查项目 {count} 个',
    badToken: '这不是有效的访问令牌。',
    notePerPatient: '每位患者 {minutes} 分钟',
    trend: '每日趋势',
    trendMonthly: '每月趋势',
    trendDescription: '互认次数与节省费用随时间变化图',
    recognitionsSeries: '互认次数',
    yuanSeries: '节省费用（元）',
    topItems: '互认最多的项目',
    itemsDescription: '互认次数最多的检查项目条形图',
    declineReasons: '不予互认原因',
    declinesDescription: '按原因统计的不予互认图',
    flaggedNote: '{declines} 次不予互认中 {flagged} 次待复核',
    noteCategoryDeclines: '未按检查类别筛选：不予互认按原因统计，不分检查类别。',
    noteCategoryFlows: '未按检查类别筛选：互认流向按医院对统计，不分检查类别。',
    noteFlowsCity: '流入{city}医院的互认。',
    noteFlowsHospital: '流入或流出{hospital}的互认。',
    notePeriodCertifications: '今日状态：时段筛选不适用于互认资质。',
    noteCategoryCertifications: '{category}类别，以及覆盖全部项目的资质。',
    certifications: '今日互认资质',
    certificationsCaption: '在某一互认范围内资质被暂停或撤销的医院',
    certificationSummary: '{hospitals} 家医院中 {active} 家资质齐全；{suspended} 家部分暂停，{revoked} 家被撤销',
    allCertified: '所列医院资质均正常。',
    categoryColumn: '类别',
    statusColumn: '状态',
    suspended: '暂停',
    revoked: '撤销',
    inScopes: '{count} 个互认范围内{status}',
    inScope: '1 个互认范围内{status}',
    noChecks: '该时段及筛选条件下没有互认核查。',
    noRecognitions: '该时段及筛选条件下没有互认记录。',
    noDeclines: '该时段及筛选条件下没有不予互认记录。',
    noCertifications: '该筛选条件下没有互认资质记录。',
    league: '医院互认率排名',
    leagueCaption: '接收医院，按互认率排序（可互认检查项目不足 10 个的排在最后）',
    rank: '名次',
    hospital: '医院',
    rate: '互认率',
    recognitions: '互认次数',
    declines: '不予互认',
    yuan: '节省（元）',
    flows: '主要互认流向',
    flowsCaption: '一家医院出具、另一家医院互认的结果，按互认次数排序',
    issuer: '出具医院',
    receiver: '接收医院',
    downloadCsv: '下载 CSV',
    noData: '该时段及筛选条件下无数据。',
    sessionExpired: '登录已过期，请重新登录。',
    unreachable: '无法连接服务。',
    badPeriod: '开始日期不能晚于结束日期。',
    D1_CONDITION_CHANGED: '病情变化',
    D2_RAPID_CHANGE: '病情变化快',
    D3_MAJOR_INTERVENTION: '手术或输血前',
    D4_EMERGENCY: '急诊抢救',
    D5_FORENSIC: '司法或伤残鉴定',
    D6_OTHER: '其他',
    D7_PATIENT_REQUEST: '患者要求',
    D8_NO_REFERENCE_VALUE: '无参考价值',
    D9_EQUIPMENT_QUALITY: '设备或质量要求',
    D10_CRITICAL_FOLLOWUP: '危急值随访',
  },
};

const LANGUAGE_KEY = 'mre.dashboard.language';
let language = initialLanguage();

function initialLanguage() {
  const saved = sessionStorage.getItem(LANGUAGE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  language = next === 'zh' ? 'zh' : 'en';
  sessionStorage.setItem(LANGUAGE_KEY, language);
}

/** The label for key in the current language, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = dictionaries[language][key] ?? dictionaries.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** True when the dictionary names the key (decline codes the page does not know fall back to the API's label). */
export function has(key) {
  return Object.hasOwn(dictionaries.en, key);
}

export function translatePage(root = document) {
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const element of root.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll('[data-i18n-aria]')) element.setAttribute('aria-label', t(element.dataset.i18nAria));
}

function locale() {
  return language === 'zh' ? 'zh-CN' : 'en-US';
}

export function formatNumber(value, fractionDigits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: fractionDigits, minimumFractionDigits: 0 }).format(value);
}

export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined) return '–';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

// One sentence a doctor can read for a decision, in English or Chinese. Pure, like the engine.
import type { DeclineCode, ReasonCode } from './codes.ts';
import type { Decision, DecisionFacts } from './types.ts';
import { shanghaiDate } from '../../calendar.ts';

export type Locale = 'en' | 'zh';

/** What explain needs when the caller no longer holds the full facts (e.g. a stored decision). */
export interface ExplainSubject {
  itemName: string;
  /** The item's Chinese name; falls back to itemName. */
  itemNameZh?: string;
  issuerName: string;
  performedAt: Date | string;
  validityDays: number;
  /** The receiver's own earlier result (a duplicate-order alert). */
  sameHospital?: boolean;
}

export function explainSubject(facts: DecisionFacts): ExplainSubject {
  const { requestedItem, resultItem, result } = facts;
  const panel = result.itemCode !== requestedItem.code ? resultItem.name : null;
  return {
    itemName: panel === null ? requestedItem.name : `${requestedItem.name} (${panel})`,
    itemNameZh:
      panel === null
        ? (requestedItem.nameZh ?? requestedItem.name)
        : `${requestedItem.nameZh ?? requestedItem.name}（${resultItem.nameZh ?? resultItem.name}）`,
    issuerName: facts.issuer.name,
    performedAt: result.performedAt ?? result.reportedAt ?? '',
    validityDays: requestedItem.validityDays,
    sameHospital: facts.issuer.id === facts.receiver.id,
  };
}

export function explain(decision: Decision, subject: DecisionFacts | ExplainSubject, locale: Locale): string {
  const s = 'requestedItem' in subject ? explainSubject(subject) : subject;
  const date = shanghaiDate(s.performedAt);
  return locale === 'zh' ? explainZh(decision, s, date) : explainEn(decision, s, date);
}

function explainEn(decision: Decision, s: ExplainSubject, date: string | null): string {
  const issuer = s.sameHospital ? `${s.issuerName} (this hospital)` : s.issuerName;
  const what = `${s.itemName} from ${issuer} performed ${date ?? 'on an unknown date'}`;
  if (decision.outcome === 'RECOGNIZABLE') {
    const head = decision.retestPermitted
      ? `Recognisable, retest permitted (${decision.advisories.map((code) => advisoryLabels[code].en).join('; ')})`
      : 'Recognisable';
    return `${head}: ${what} is within its ${s.validityDays}-day window.`;
  }
  const [first, ...rest] = decision.reasons;
  if (first === undefined) return `Not recognisable: ${what}.`;
  const more = rest.length > 0 ? ` (and ${rest.length} more reason${rest.length > 1 ? 's' : ''})` : '';
  return `Not recognisable: ${what} ${reasonPhrases[first].en(s.validityDays)}${more}.`;
}

function explainZh(decision: Decision, s: ExplainSubject, date: string | null): string {
  const issuer = s.sameHospital ? '本院' : s.issuerName;
  const name = s.itemNameZh ?? s.itemName;
  const what = date === null ? `${issuer}完成的${name}（日期不详）` : `${issuer}于${date}完成的${name}`;
  if (decision.outcome === 'RECOGNIZABLE') {
    const head = decision.retestPermitted
      ? `可予互认，允许复查（${decision.advisories.map((code) => advisoryLabels[code].zh).join('；')}）`
      : '可予互认';
    return `${head}：${what}在${s.validityDays}天有效期内。`;
  }
  const [first, ...rest] = decision.reasons;
  if (first === undefined) return `不予互认：${what}。`;
  const more = rest.length > 0 ? `（另有${rest.length}项原因）` : '';
  return `不予互认：${what}${reasonPhrases[first].zh(s.validityDays)}${more}。`;
}

interface Phrase {
  en: (validityDays: number) => string;
  zh: (validityDays: number) => string;
}

const fixed = (en: string, zh: string): Phrase => ({ en: () => en, zh: () => zh });

// Each completes "<item> from <issuer> performed <date> …" / "<issuer>于<date>完成的<item>…".
const reasonPhrases: Record<ReasonCode, Phrase> = {
  NR_NOT_A_RESULT: fixed('is a diagnostic conclusion only, not a result', '仅为诊断结论，不属于检查检验结果'),
  NR_IMAGES_UNAVAILABLE: fixed('has no retrievable images', '影像资料无法调阅'),
  NR_REPORT_NOT_FINAL: fixed('has no final report yet', '报告尚未最终审核'),
  NR_REPORT_WITHDRAWN: fixed('was cancelled or entered in error', '报告已撤销或系录入错误'),
  NR_ITEM_MISMATCH: fixed('is not the requested item and does not cover its analytes', '与申请项目不一致，且未涵盖所需检验指标'),
  NR_NOT_IN_CATALOG: fixed("is not on any recognition scope's item list", '不在任何互认范围的项目目录中'),
  NR_NEGATIVE_LIST: fixed('is on the negative list and is never recognised', '属于负面清单项目，不予互认'),
  NR_CONSULT_REQUIRED: fixed('is pathology and needs a consultation', '为病理结果，须经会诊'),
  NR_ISSUER_NOT_CERTIFIED: fixed('comes from a hospital not certified for this item at the time', '检查时出具机构未获得该项目的互认资质'),
  NR_ISSUER_SUSPENDED: fixed("was performed while the hospital's certification was suspended", '检查时出具机构的互认资质处于暂停状态'),
  NR_ISSUER_REVOKED: fixed('falls under a revoked certification of the hospital', '出具机构在检查时的互认资质已被撤销'),
  NR_SCOPE_MISMATCH: fixed('comes from a hospital certified only in scopes this hospital is outside', '本院不在出具机构获认证的互认范围内'),
  NR_TIER_DIRECTION: fixed('comes from a lower-tier hospital in another city', '来自外市的低级别医院，不可向上级医院互认'),
  NR_EXPIRED: {
    en: (days) => `is past its ${days}-day window`,
    zh: (days) => `已超过${days}天有效期`,
  },
};

const advisoryLabels: Record<DeclineCode, { en: string; zh: string }> = {
  D1_CONDITION_CHANGED: { en: 'condition changed', zh: '病情变化' },
  D2_RAPID_CHANGE: { en: 'rapidly changing clinical picture', zh: '病情进展快' },
  D3_MAJOR_INTERVENTION: { en: 'before surgery or transfusion', zh: '手术或输血前' },
  D4_EMERGENCY: { en: 'emergency', zh: '急诊' },
  D5_FORENSIC: { en: 'forensic or disability assessment', zh: '司法鉴定或伤残评定' },
  D6_OTHER: { en: 'other reason', zh: '其他原因' },
  D7_PATIENT_REQUEST: { en: 'patient request', zh: '患者要求' },
  D8_NO_REFERENCE_VALUE: { en: 'no reference value', zh: '无参考价值' },
  D9_EQUIPMENT_QUALITY: { en: 'thin-slice or better equipment needed', zh: '需要薄层扫描或更优设备' },
  D10_CRITICAL_FOLLOWUP: { en: 'open critical value', zh: '危急值未闭环' },
};

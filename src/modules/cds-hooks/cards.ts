// A recognisable prior result as a CDS Hooks card, in Chinese or English. Pure.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { shanghaiDate } from '../../calendar.ts';
import type { CheckService } from '../recognition/index.ts';
import { declineMeanings, ionisingCategories, type CatalogueItem, type Locale } from '../rules/index.ts';
import { overrideReasons, sourceLabel } from './definitions.ts';
import type { cdsCard } from './schemas.ts';

export type CdsCard = z.output<typeof cdsCard>;
export type CheckCandidate = Awaited<ReturnType<CheckService['check']>>['items'][number]['candidates'][number];

export interface CardFacts {
  checkId: string;
  /** The requested item (the exam the doctor is about to order). */
  item: CatalogueItem;
  candidate: CheckCandidate;
  issuerName: string;
  /** The receiver's own earlier result (a duplicate order). */
  sameHospital: boolean;
  /** The draft ServiceRequests for the item, by id. */
  orderIds: readonly string[];
  locale: Locale;
  publicUrl: string;
}

/** A name-based UUID (RFC 9562 version 8, from SHA-256): the same inputs always give the same UUID. */
function derivedUuid(name: string): string {
  const bytes = createHash('sha256').update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A card's uuid names its check candidate: the same check, item and result always make the same card. */
export const cardUuid = (checkId: string, itemCode: string, resultId: string) =>
  derivedUuid(`cds-card\u0000${checkId}\u0000${itemCode}\u0000${resultId}`);

/** The uuid of a card's one suggestion (remove the order, recognise the result). */
export const suggestionUuid = (cardId: string) => derivedUuid(`cds-suggestion\u0000${cardId}`);

/** At most `max` characters (code points), an ellipsis marking a cut. */
function fit(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Text from the registry, shown literally in Markdown. */
const md = (text: string) => text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');

const ionising = (item: CatalogueItem) => (ionisingCategories as readonly string[]).includes(item.category);

const phrases = {
  en: {
    summary: (item: string, issuer: string, date: string, retest: boolean) =>
      `Recognisable ${item} from ${issuer}, ${date}${retest ? ' (retest permitted)' : ': no need to repeat it'}`,
    thisHospital: 'this hospital',
    colon: ': ',
    savings: (yuan: number, minutes: number, msv: number) =>
      `Not repeating it saves ¥${yuan.toFixed(2)}, ${minutes} minutes${msv > 0 ? ` and ${msv} mSv of radiation` : ''}.`,
    issuer: 'Issuing hospital',
    performed: 'Performed',
    accession: 'Accession number',
    advisories: 'Retest permitted because',
    howTo:
      'Accept the suggestion to remove the draft order and record the recognition; to repeat the exam, override the card with a reason.',
    suggestion: 'Reuse this result and remove the order',
    remove: (id: string) => `Remove the draft order ServiceRequest/${id}: the prior result is reused`,
    link: 'Result history (REST API; readable once recognised)',
  },
  zh: {
    summary: (item: string, issuer: string, date: string, retest: boolean) =>
      `可予互认${retest ? '（允许复查）' : ''}：${issuer}于${date}完成的${item}${retest ? '' : '，无需重复检查'}`,
    thisHospital: '本院',
    colon: '：',
    savings: (yuan: number, minutes: number, msv: number) =>
      `不重复检查可节省费用${yuan.toFixed(2)}元、时间${minutes}分钟${msv > 0 ? `，避免辐射${msv} mSv` : ''}。`,
    issuer: '出具机构',
    performed: '检查时间',
    accession: '检查单号',
    advisories: '允许复查的原因',
    howTo: '采纳建议即撤销本次申请并记录互认；如需重新检查，请忽略该提示并选择原因。',
    suggestion: '采用该结果，撤销本次申请',
    remove: (id: string) => `撤销待签申请 ServiceRequest/${id}，采用既往结果`,
    link: '结果版本记录（REST API，互认后可查看）',
  },
} as const;

export function cardFor(facts: CardFacts): CdsCard {
  const { candidate, item, locale } = facts;
  const say = phrases[locale];
  const uuid = cardUuid(facts.checkId, item.code, candidate.resultId);
  const itemName = locale === 'zh' ? (item.nameZh ?? item.name) : item.name;
  const issuer = facts.sameHospital ? say.thisHospital : facts.issuerName;
  const date = shanghaiDate(candidate.performedAt) ?? candidate.performedAt;
  const { yuan, minutes, radiationMsv } = candidate.savings;
  const detail = [
    md(candidate.explanation),
    '',
    `**${say.savings(yuan, minutes, radiationMsv)}**`,
    '',
    `- ${say.issuer}${say.colon}${md(facts.issuerName)}`,
    `- ${say.performed}${say.colon}${date}`,
    `- ${say.accession}${say.colon}${md(candidate.accessionNo)}`,
    ...(candidate.advisories.length > 0
      ? [`- ${say.advisories}${say.colon}${candidate.advisories.map((code) => `${code} ${declineMeanings[code][locale]}`).join('; ')}`]
      : []),
    '',
    say.howTo,
  ].join('\n');
  const history = `${facts.publicUrl}/v1/results/${encodeURIComponent(candidate.accessionNo)}/history?issuer=${encodeURIComponent(candidate.issuingHospitalId)}`;
  return {
    uuid,
    // CDS Hooks: a summary of fewer than 140 characters.
    summary: fit(say.summary(itemName, issuer, date, candidate.retestPermitted), 139),
    detail,
    indicator: ionising(item) ? 'warning' : 'info',
    source: { label: sourceLabel[locale] },
    ...(facts.orderIds.length > 0
      ? {
          suggestions: [
            {
              label: say.suggestion,
              uuid: suggestionUuid(uuid),
              isRecommended: !candidate.retestPermitted,
              actions: facts.orderIds.map((id) => ({
                type: 'delete' as const,
                description: say.remove(id),
                resourceId: `ServiceRequest/${id}`,
              })),
            },
          ],
          selectionBehavior: 'at-most-one' as const,
        }
      : {}),
    overrideReasons: overrideReasons(locale),
    links: [{ label: say.link, url: history, type: 'absolute' as const }],
  };
}

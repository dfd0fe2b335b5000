import type { Locale } from '../rules/index.ts';

/**
 * The ways the savings report groups its figures, one entry each: adding a grouping is adding an
 * entry here. An entry says how to key and name a group on the fine aggregates, and, for one that
 * the roll-ups count along, which roll-up dimension it is and how the aggregator finds its value in
 * a counted event (counting.ts) and how the report names it.
 *
 * The SQL below refers to fixed aliases: on the fine aggregates `a` (the aggregate row), `rh` (the
 * receiving hospital), `ih` (the issuing hospital), `i` (the item); on counted events `ev`; on
 * roll-up groups `g` (with `g.key`).
 */
export interface Dimension {
  /** The groupBy value of the API. */
  grouping: string;
  /** Key and label of a group on the fine aggregates. */
  key: string;
  label: (locale: Locale) => string;
  /** Whether the fine aggregates need the issuing hospital (`ih`). */
  byIssuer?: boolean;
  /** Groups that are calendar units: every one of the period is listed, with zeros. */
  calendar?: 'day' | 'month';
  /** The roll-up dimension that counts along this grouping. */
  rollup?: {
    name: string;
    /** The dimension's value in a counted event (`ev`). */
    value: string;
    /** Which events count along it: the receiver's side of the log (the default), or those with an issuer. */
    counts?: 'receiver-side' | 'with-issuer';
    /** Joined to name a roll-up group (`g`), and the name. */
    join?: string;
    label?: (locale: Locale) => string;
  };
  /** The report filter this dimension also serves (a filter on it reads the same roll-up). */
  filter?: 'hospitalId' | 'city' | 'category';
}

const hospitalName = { join: 'left join hospitals h on h.id = g.key', label: () => 'coalesce(h.name, g.key)' };

export const dimensions = [
  { grouping: 'day', calendar: 'day', key: `to_char(a.local_day, 'YYYY-MM-DD')`, label: () => `to_char(a.local_day, 'YYYY-MM-DD')` },
  { grouping: 'month', calendar: 'month', key: `to_char(a.local_day, 'YYYY-MM')`, label: () => `to_char(a.local_day, 'YYYY-MM')` },
  {
    grouping: 'receiving-hospital',
    key: 'a.receiving_hospital_id',
    label: () => 'rh.name',
    rollup: { name: 'receiver', value: 'ev.receiver', ...hospitalName },
    filter: 'hospitalId',
  },
  {
    grouping: 'issuing-hospital',
    key: 'a.issuing_hospital_id',
    label: () => 'ih.name',
    byIssuer: true,
    rollup: { name: 'issuer', value: 'ev.issuer', counts: 'with-issuer', ...hospitalName },
  },
  {
    grouping: 'item',
    key: 'a.item_code',
    label: (locale) => (locale === 'zh' ? 'coalesce(i.name_zh, i.name)' : 'i.name'),
    rollup: {
      name: 'item',
      value: 'ev.item_code',
      join: 'left join items i on i.code = g.key',
      label: (locale) => (locale === 'zh' ? 'coalesce(i.name_zh, i.name, g.key)' : 'coalesce(i.name, g.key)'),
    },
  },
  {
    grouping: 'category',
    key: 'i.category',
    label: () => 'i.category',
    rollup: { name: 'category', value: 'ev.category' },
    filter: 'category',
  },
  { grouping: 'city', key: 'rh.city', label: () => 'rh.city', rollup: { name: 'city', value: 'ev.city' }, filter: 'city' },
] as const satisfies readonly Dimension[];

export type SavingsGrouping = (typeof dimensions)[number]['grouping'];
export const savingsGroupings = dimensions.map((d) => d.grouping) as [SavingsGrouping, ...SavingsGrouping[]];

/** The whole province: the roll-up dimension every event counts in, and the report's totals. */
export const total: Dimension = { grouping: 'total', key: `'total'`, label: () => `'total'`, rollup: { name: 'all', value: `''` } };

export function dimension(grouping: SavingsGrouping | 'total'): Dimension {
  return grouping === 'total' ? total : (dimensions as readonly Dimension[]).find((d) => d.grouping === grouping)!;
}

/** Every roll-up dimension, the province's first: what the aggregator counts each event along. */
export const rollupDimensions = [total, ...(dimensions as readonly Dimension[])].flatMap((d) => (d.rollup ? [d.rollup] : []));

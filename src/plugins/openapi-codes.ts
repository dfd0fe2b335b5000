import { declineMeanings, reasonMeanings } from '../modules/rules/index.ts';

/** The reason and decline codes with their meanings, as Markdown tables for the API description. */
export function reasonCodeTable(): string {
  const rows = (meanings: Record<string, { en: string; zh: string }>) =>
    Object.entries(meanings)
      .map(([code, m]) => `| \`${code}\` | ${m.en} | ${m.zh} |`)
      .join('\n');
  return [
    '### Reasons a result is not recognisable',
    '| code | meaning | 含义 |',
    '|---|---|---|',
    rows(reasonMeanings),
    '',
    '### Decline codes (why a doctor repeats an exam)',
    '| code | meaning | 含义 |',
    '|---|---|---|',
    rows(declineMeanings),
  ].join('\n');
}

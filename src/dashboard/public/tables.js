// The tables: receiving hospitals by recognition rate, the largest flows between hospitals, and the
// certifications in trouble today. Hospitals are labelled "name (city · id)" everywhere.
import { currentLanguage, formatNumber, formatPercent, t } from './i18n.js';
import { categoryName, hospitalLabel } from './labels.js';

export function cell(text, className) {
  const element = document.createElement('td');
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

export function rowHeader(text) {
  const element = document.createElement('th');
  element.scope = 'row';
  element.textContent = text;
  return element;
}

/** The table's rows, or one row across every column saying why there are none. */
export function fillTable(table, rows, columns, emptyText = t('noData')) {
  const body = table.querySelector('tbody');
  if (rows.length === 0) {
    const empty = cell(emptyText, 'empty');
    empty.colSpan = columns;
    const row = document.createElement('tr');
    row.append(empty);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(...rows);
}

/** Eligible check items a hospital needs for its rate to rank among the others (i18n leagueCaption). */
const leagueMinimum = 10;

/** hospital: id → registry entry (labels.js hospitalDirectory). */
export function renderLeague(report, hospital) {
  const language = currentLanguage();
  const labelled = (report?.rows ?? []).map((row) => ({ row, label: hospitalLabel(hospital(row.key, row.label), language) }));
  // Highest recognition rate first. A rate over a handful of items says little, so hospitals with
  // fewer eligible items come after the others; those with nothing recognisable (rate null) last.
  const reliable = (row) => Number(row.checksWithRecognizable >= leagueMinimum);
  labelled.sort(
    (a, b) =>
      reliable(b.row) - reliable(a.row) ||
      (b.row.recognitionRate ?? -1) - (a.row.recognitionRate ?? -1) ||
      b.row.recognitions - a.row.recognitions ||
      a.label.localeCompare(b.label),
  );
  fillTable(
    document.querySelector('#league-table'),
    labelled.map(({ row, label }, index) => {
      const line = document.createElement('tr');
      line.append(
        cell(String(index + 1), 'num'),
        rowHeader(label),
        cell(formatPercent(row.recognitionRate), 'num'),
        cell(formatNumber(row.recognitions), 'num'),
        cell(formatNumber(row.declines), 'num'),
        cell(formatNumber(row.yuan), 'num'),
      );
      line.dataset.hospitalId = row.key;
      return line;
    }),
    6,
  );
}

export function renderFlows(report, hospital) {
  const language = currentLanguage();
  const rows = [...(report?.rows ?? [])].sort((a, b) => b.recognitions - a.recognitions || b.yuan - a.yuan).slice(0, 15);
  fillTable(
    document.querySelector('#flows-table'),
    rows.map((row) => {
      const line = document.createElement('tr');
      line.append(
        cell(hospitalLabel(hospital(row.issuerId, row.issuerName), language)),
        cell(hospitalLabel(hospital(row.receiverId, row.receiverName), language)),
        cell(formatNumber(row.recognitions), 'num'),
        cell(formatNumber(row.yuan), 'num'),
      );
      return line;
    }),
    4,
  );
}

/**
 * The certification report counts, per hospital and category, the (scope, coverage) timelines in
 * each status today. The chosen category keeps its own rows and those covering every item.
 */
export function renderCertifications(report, query, hospital) {
  const language = currentLanguage();
  const rows = (report?.rows ?? []).filter((row) => !query.category || row.category === query.category || row.category === 'all');
  const standing = new Map();
  for (const row of rows) {
    const previous = standing.get(row.hospitalId) ?? 'active';
    standing.set(
      row.hospitalId,
      row.revoked > 0 || previous === 'revoked' ? 'revoked' : row.suspended > 0 || previous === 'suspended' ? 'suspended' : 'active',
    );
  }
  const count = (status) => [...standing.values()].filter((s) => s === status).length;
  // Over several hospitals, how many are in good standing; for one, the table says it all.
  document.querySelector('#certifications-summary').textContent =
    standing.size <= 1
      ? ''
      : t('certificationSummary', {
          active: formatNumber(count('active')),
          hospitals: formatNumber(standing.size),
          suspended: formatNumber(count('suspended')),
          revoked: formatNumber(count('revoked')),
        });
  const troubled = rows
    .filter((row) => row.suspended > 0 || row.revoked > 0)
    .map((row) => ({ row, label: hospitalLabel(hospital(row.hospitalId, row.hospitalName), language) }))
    .sort((a, b) => b.row.revoked - a.row.revoked || a.label.localeCompare(b.label));
  const status = (name, scopes) => (scopes === 1 ? t('inScope', { status: t(name) }) : t('inScopes', { status: t(name), count: scopes }));
  fillTable(
    document.querySelector('#certifications-table'),
    troubled.map(({ row, label }) => {
      const line = document.createElement('tr');
      const states = [row.revoked > 0 && status('revoked', row.revoked), row.suspended > 0 && status('suspended', row.suspended)].filter(
        Boolean,
      );
      line.append(
        rowHeader(label),
        cell(categoryName(row.category, language)),
        cell(states.join('; '), row.revoked > 0 ? 'revoked' : 'suspended'),
      );
      return line;
    }),
    3,
    rows.length === 0 ? t('noCertifications') : t('allCertified'),
  );
}

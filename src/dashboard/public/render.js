// Draws the loaded reports: KPI tiles, charts and tables. Pure DOM work, no fetching.
import { drawDeclines, drawTopItems, drawTrend } from './charts.js';
import { periodKeys } from './dates.js';
import { formatNumber, formatPercent, has, t } from './i18n.js';

const $ = (selector) => document.querySelector(selector);

/** reports: { query, data: { trend, items, league, declines, flows } }; a missing report draws empty. */
export function renderReports({ query, data }) {
  renderTiles(data.trend?.totals);
  renderTrend(data.trend, query);
  renderTopItems(data.items);
  renderDeclines(data.declines, query);
  renderLeague(data.league);
  renderFlows(data.flows);
}

function setTile(name, raw, text, note = '') {
  const tile = document.querySelector(`[data-kpi="${name}"]`);
  const value = tile.querySelector('.value');
  value.textContent = text;
  value.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  tile.querySelector('.note').textContent = note;
}

function renderTiles(totals) {
  if (!totals) {
    for (const name of ['recognitions', 'yuan', 'hours', 'msv', 'rate']) setTile(name, null, '–');
    return;
  }
  const same = totals.sameHospital ?? { recognitions: 0 };
  setTile('recognitions', totals.recognitions, formatNumber(totals.recognitions), t('noteSameHospital', { count: formatNumber(same.recognitions) }));
  setTile('yuan', totals.yuan, formatNumber(totals.yuan));
  const perPatient = totals.minutesPerPatient === null ? '' : t('notePerPatient', { minutes: formatNumber(totals.minutesPerPatient, 1) });
  setTile('hours', totals.minutes / 60, formatNumber(totals.minutes / 60, 1), perPatient);
  setTile('msv', totals.radiationMsv, formatNumber(totals.radiationMsv, 1));
  setTile('rate', totals.recognitionRate, formatPercent(totals.recognitionRate), t('noteChecks', { count: formatNumber(totals.checksWithRecognizable) }));
}

function renderTrend(report, query) {
  $('#trend-heading').textContent = t(query.granularity === 'day' ? 'trend' : 'trendMonthly');
  const rows = report?.rows ?? [];
  const byKey = new Map(rows.map((row) => [row.key, row]));
  let keys = periodKeys(query.from, query.to, query.granularity);
  // Keys the page did not expect (another key format): show the rows as the API gave them.
  if (rows.some((row) => !keys.includes(row.key))) keys = rows.map((row) => row.key);
  drawTrend($('#trend-chart'), {
    labels: keys.map((key) => (query.granularity === 'day' ? key.slice(5) : key)),
    recognitions: keys.map((key) => byKey.get(key)?.recognitions ?? 0),
    yuan: keys.map((key) => byKey.get(key)?.yuan ?? 0),
    recognitionsLabel: t('recognitionsSeries'),
    yuanLabel: t('yuanSeries'),
  });
}

const shorten = (text, max = 28) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function renderTopItems(report) {
  const rows = (report?.rows ?? []).filter((row) => row.recognitions > 0).sort((a, b) => b.recognitions - a.recognitions).slice(0, 10);
  drawTopItems($('#items-chart'), {
    labels: rows.map((row) => shorten(row.label || row.key)),
    recognitions: rows.map((row) => row.recognitions),
    recognitionsLabel: t('recognitionsSeries'),
  });
}

function renderDeclines(report, query) {
  const rows = (report?.rows ?? []).filter((row) => row.declines > 0).sort((a, b) => b.declines - a.declines);
  drawDeclines($('#declines-chart'), {
    labels: rows.map((row) => (has(row.key) ? t(row.key) : row.label || row.key)),
    declines: rows.map((row) => row.declines),
  });
  const totals = report?.totals;
  const { city, hospitalId } = query;
  const note = !totals
    ? ''
    : totals.declines === 0
      ? t('noData')
      : t('flaggedNote', { flagged: formatNumber(totals.flagged), declines: formatNumber(totals.declines) });
  // The declines report filters by hospital, not by city: say so rather than mislead.
  $('#declines-note').textContent = city && !hospitalId ? `${note} ${t('declinesAllCities')}`.trim() : note;
}

function cell(text, className) {
  const element = document.createElement('td');
  element.textContent = text;
  if (className) element.className = className;
  return element;
}

function fillTable(table, rows, columns) {
  const body = table.querySelector('tbody');
  if (rows.length === 0) {
    const empty = cell(t('noData'), 'empty');
    empty.colSpan = columns;
    const row = document.createElement('tr');
    row.append(empty);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(...rows);
}

function renderLeague(report) {
  // Highest recognition rate first; hospitals with nothing recognisable (rate null) last.
  const rows = [...(report?.rows ?? [])].sort(
    (a, b) => (b.recognitionRate ?? -1) - (a.recognitionRate ?? -1) || b.recognitions - a.recognitions || a.label.localeCompare(b.label),
  );
  fillTable(
    $('#league-table'),
    rows.map((row, index) => {
      const line = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = row.label || row.key;
      line.append(
        cell(String(index + 1), 'num'),
        name,
        cell(formatPercent(row.recognitionRate), 'num'),
        cell(formatNumber(row.recognitions), 'num'),
        cell(formatNumber(row.declines), 'num'),
        cell(formatNumber(row.yuan), 'num'),
      );
      return line;
    }),
    6,
  );
}

function renderFlows(report) {
  const rows = [...(report?.rows ?? [])].sort((a, b) => b.recognitions - a.recognitions || b.yuan - a.yuan).slice(0, 15);
  fillTable(
    $('#flows-table'),
    rows.map((row) => {
      const line = document.createElement('tr');
      line.append(
        cell(row.issuerName || row.issuerId),
        cell(row.receiverName || row.receiverId),
        cell(formatNumber(row.recognitions), 'num'),
        cell(formatNumber(row.yuan), 'num'),
      );
      return line;
    }),
    4,
  );
}

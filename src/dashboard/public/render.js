// Draws the loaded reports: KPI tiles, charts, tables, and what each panel does with the filters.
// Pure DOM work, no fetching. A panel with nothing to show says so in words, never as an empty
// frame with axis ticks.
import { destroyChart, drawDeclines, drawTopItems, drawTrend } from './charts.js';
import { periodKeys } from './dates.js';
import { currentLanguage, formatNumber, formatPercent, has, t } from './i18n.js';
import { categoryName, cityName, hospitalDirectory, hospitalLabel } from './labels.js';
import { renderRecalls } from './recalls.js';
import { renderCertifications, renderFlows, renderLeague } from './tables.js';

const $ = (selector) => document.querySelector(selector);

/**
 * reports: { query, data: { trend, items, league, declines, flows, certifications, recalls }, hospitals };
 * a report that failed to load draws as having no data.
 */
export function renderReports({ query, data, hospitals }) {
  const hospital = hospitalDirectory(hospitals);
  renderTiles(data.trend?.totals);
  renderTrend(data.trend, query);
  renderTopItems(data.items);
  renderDeclines(data.declines);
  renderLeague(data.league, hospital);
  renderFlows(data.flows, hospital);
  renderCertifications(data.certifications, query, hospital);
  renderRecalls(data.recalls, hospital);
  renderScopeNotes(query, hospital);
}

/** Shows a chart, or in its place a message saying why there is none. */
function showChart(name, canvas, emptyMessage) {
  const empty = document.querySelector(`[data-empty="${name}"]`);
  document.querySelector(`[data-chart="${name}"]`).hidden = Boolean(emptyMessage);
  empty.hidden = !emptyMessage;
  empty.textContent = emptyMessage ?? '';
  if (emptyMessage) destroyChart(canvas);
}

function setTile(name, raw, text, note = '') {
  const tile = document.querySelector(`[data-kpi="${name}"]`);
  const value = tile.querySelector('.value');
  value.textContent = text;
  value.dataset.value = raw === null || raw === undefined ? '' : String(raw);
  tile.querySelector('.note').textContent = note;
}

function renderTiles(totals) {
  const empty = $('#kpi-empty');
  // No check at all: dashes and a sentence, not a row of zeros that look like a result.
  const nothing = !totals || totals.checks === 0;
  empty.hidden = !totals || !nothing;
  empty.textContent = totals && nothing ? t('noChecks') : '';
  if (nothing) {
    for (const name of ['recognitions', 'yuan', 'hours', 'msv', 'rate']) setTile(name, null, '–');
    return;
  }
  const same = totals.sameHospital ?? { recognitions: 0 };
  setTile(
    'recognitions',
    totals.recognitions,
    formatNumber(totals.recognitions),
    t('noteSameHospital', { count: formatNumber(same.recognitions) }),
  );
  setTile('yuan', totals.yuan, formatNumber(totals.yuan));
  const perPatient = totals.minutesPerPatient === null ? '' : t('notePerPatient', { minutes: formatNumber(totals.minutesPerPatient, 1) });
  setTile('hours', totals.minutes / 60, formatNumber(totals.minutes / 60, 1), perPatient);
  setTile('msv', totals.radiationMsv, formatNumber(totals.radiationMsv, 1));
  setTile(
    'rate',
    totals.recognitionRate,
    formatPercent(totals.recognitionRate),
    t('noteChecks', { count: formatNumber(totals.checksWithRecognizable) }),
  );
}

function renderTrend(report, query) {
  $('#trend-heading').textContent = t(query.granularity === 'day' ? 'trend' : 'trendMonthly');
  const canvas = $('#trend-chart');
  const rows = report?.rows ?? [];
  if (!rows.some((row) => row.recognitions > 0 || row.yuan > 0))
    return showChart('trend', canvas, report ? t('noRecognitions') : t('noData'));
  showChart('trend', canvas, null);
  const byKey = new Map(rows.map((row) => [row.key, row]));
  let keys = periodKeys(query.from, query.to, query.granularity);
  // Keys the page did not expect (another key format): show the rows as the API gave them.
  if (rows.some((row) => !keys.includes(row.key))) keys = rows.map((row) => row.key);
  drawTrend(canvas, {
    labels: keys.map((key) => (query.granularity === 'day' ? key.slice(5) : key)),
    recognitions: keys.map((key) => byKey.get(key)?.recognitions ?? 0),
    yuan: keys.map((key) => byKey.get(key)?.yuan ?? 0),
    recognitionsLabel: t('recognitionsSeries'),
    yuanLabel: t('yuanSeries'),
  });
}

const shorten = (text, max = 28) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function renderTopItems(report) {
  const canvas = $('#items-chart');
  const rows = (report?.rows ?? [])
    .filter((row) => row.recognitions > 0)
    .sort((a, b) => b.recognitions - a.recognitions)
    .slice(0, 10);
  if (rows.length === 0) return showChart('items', canvas, report ? t('noRecognitions') : t('noData'));
  showChart('items', canvas, null);
  drawTopItems(canvas, {
    labels: rows.map((row) => shorten(row.label || row.key)),
    recognitions: rows.map((row) => row.recognitions),
    recognitionsLabel: t('recognitionsSeries'),
  });
}

function renderDeclines(report) {
  const canvas = $('#declines-chart');
  const rows = (report?.rows ?? []).filter((row) => row.declines > 0).sort((a, b) => b.declines - a.declines);
  const totals = report?.totals;
  $('#declines-note').textContent =
    totals && totals.declines > 0
      ? t('flaggedNote', { flagged: formatNumber(totals.flagged), declines: formatNumber(totals.declines) })
      : '';
  if (rows.length === 0) return showChart('declines', canvas, report ? t('noDeclines') : t('noData'));
  showChart('declines', canvas, null);
  drawDeclines(canvas, {
    labels: rows.map((row) => (has(row.key) ? t(row.key) : row.label || row.key)),
    declines: rows.map((row) => row.declines),
  });
}

/**
 * Under a panel's title, what the filters mean for it: how a filter is applied when that is not
 * obvious, and which filter it cannot take and why. Panels that take every filter as is say nothing.
 */
function renderScopeNotes(query, hospital) {
  const language = currentLanguage();
  const category = query.category ? categoryName(query.category, language) : '';
  const city = query.city ? cityName(query.city, null, language) : '';
  const notes = {
    declines: [query.category && t('noteCategoryDeclines')],
    flows: [
      query.hospitalId && t('noteFlowsHospital', { hospital: hospitalLabel(hospital(query.hospitalId), language) }),
      query.city && t('noteFlowsCity', { city }),
      query.category && t('noteCategoryFlows'),
    ],
    certifications: [t('notePeriodCertifications'), query.category && t('noteCategoryCertifications', { category })],
    recalls: [
      query.admin && query.hospitalId && t('noteRecallsHospital', { hospital: hospitalLabel(hospital(query.hospitalId), language) }),
      !query.admin && t('noteRecallsOwn'),
      query.city && !query.hospitalId && t('noteRecallsCity'),
      query.category && t('noteCategoryRecalls'),
    ],
  };
  for (const [panel, lines] of Object.entries(notes)) {
    const element = document.querySelector(`[data-scope-note="${panel}"]`);
    const text = lines.filter(Boolean).join(' ');
    element.textContent = text;
    element.hidden = text === '';
  }
}

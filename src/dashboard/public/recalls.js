// The recalls panel: the recalls of recognised results made in the period, how fast the hospitals
// told acknowledged them, by cause and by issuing hospital, and the open ones left waiting too long
// (of any date: a recall stays due until it is acknowledged).
import { shanghaiDayOf } from './dates.js';
import { currentLanguage, formatNumber, t } from './i18n.js';
import { hospitalLabel } from './labels.js';
import { cell, fillTable, rowHeader } from './tables.js';

const causeLabels = { amended: 'causeAmended', withdrawn: 'causeWithdrawn', certification: 'causeCertification' };
const causeName = (cause) => (Object.hasOwn(causeLabels, cause) ? t(causeLabels[cause]) : cause);

function setFigure(name, raw, text) {
  const value = document.querySelector(`[data-recall="${name}"] .value`);
  value.textContent = text;
  value.dataset.value = raw === null || raw === undefined ? '' : String(raw);
}

function renderFigures(report) {
  const totals = report?.totals;
  const staleLabel = document.querySelector('#recall-stale-label');
  staleLabel.textContent = report ? t('recallsStale', { days: report.staleDays }) : t('recallsStaleAny');
  if (!totals) {
    for (const name of ['recalls', 'acknowledged', 'open', 'hours', 'stale']) setFigure(name, null, '–');
    return;
  }
  setFigure('recalls', totals.recalls, formatNumber(totals.recalls));
  setFigure('acknowledged', totals.acknowledged, formatNumber(totals.acknowledged));
  setFigure('open', totals.open, formatNumber(totals.open));
  const median = totals.medianHoursToAcknowledge;
  // Nothing acknowledged yet: one dash, not a dash for each figure.
  setFigure('hours', median, median === null ? '–' : `${formatNumber(median, 1)} · ${formatNumber(totals.p90HoursToAcknowledge, 1)}`);
  setFigure('stale', totals.openOlderThanStaleDays, formatNumber(totals.openOlderThanStaleDays));
}

/** Recalls, open and median hours of one group: a row of the causes or issuers table. */
function figureCells(group) {
  return [
    cell(formatNumber(group.recalls), 'num'),
    cell(formatNumber(group.open), 'num'),
    cell(formatNumber(group.medianHoursToAcknowledge, 1), 'num'),
  ];
}

/** hospital: id → registry entry (labels.js hospitalDirectory). */
export function renderRecalls(report, hospital) {
  const language = currentLanguage();
  renderFigures(report);
  const none = report ? t('noRecalls') : t('noData');

  const causes = (report?.byCause ?? []).filter((group) => group.recalls > 0);
  fillTable(
    document.querySelector('#recall-causes-table'),
    causes.map((group) => {
      const line = document.createElement('tr');
      line.append(rowHeader(causeName(group.cause)), ...figureCells(group));
      line.dataset.cause = group.cause;
      return line;
    }),
    4,
    none,
  );

  fillTable(
    document.querySelector('#recall-issuers-table'),
    (report?.byIssuer ?? []).map((group) => {
      const line = document.createElement('tr');
      line.append(rowHeader(hospitalLabel(hospital(group.key, group.label), language)), ...figureCells(group));
      line.dataset.hospitalId = group.key;
      return line;
    }),
    4,
    none,
  );

  document.querySelector('#recall-stale-caption').textContent = report
    ? t('recallStaleCaption', { days: report.staleDays })
    : t('recallStaleCaptionAny');
  fillTable(
    document.querySelector('#recall-stale-table'),
    (report?.stale ?? []).map((recall) => {
      const line = document.createElement('tr');
      line.append(
        cell(shanghaiDayOf(recall.createdAt), 'day'),
        cell(hospitalLabel(hospital(recall.hospitalId), language)),
        cell(hospitalLabel(hospital(recall.issuingHospitalId), language)),
        cell(recall.accessionNo),
        cell(recall.itemCode),
        cell(causeName(recall.cause)),
        cell(formatNumber(recall.ageDays), 'num'),
      );
      line.dataset.recallId = recall.recallId;
      return line;
    }),
    7,
    report ? t('noStaleRecalls', { days: report.staleDays }) : t('noData'),
  );
}

// The filter bar: period (a preset or two dates), city, hospital and exam category, and the report
// URLs a set of filters asks for. Every report takes every filter it can; what one cannot take, its
// panel says (render.js, scopeNotes).
import { reportUrl } from './api.js';
import { daysBetween, presetPeriod, shanghaiToday } from './dates.js';
import { currentLanguage, t } from './i18n.js';
import { categoryCodes, categoryName, cityName, hospitalLabel } from './labels.js';

const $ = (selector) => document.querySelector(selector);

function option(value, label, selected) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = label;
  element.selected = selected;
  return element;
}

/** Fills the period fields from the chosen preset (a custom period keeps its dates). */
export function applyPreset() {
  const preset = $('#filter-preset').value;
  if (preset === 'custom') return;
  const { from, to } = presetPeriod(preset, shanghaiToday());
  $('#filter-from').value = from;
  $('#filter-to').value = to;
}

/** City, hospital and category options in the current language, keeping what was chosen. */
export function renderFilterOptions(hospitals) {
  const language = currentLanguage();
  const collator = new Intl.Collator(language === 'zh' ? 'zh-CN' : 'en');
  const citySelect = $('#filter-city');
  const hospitalSelect = $('#filter-hospital');
  const categorySelect = $('#filter-category');
  const city = citySelect.value;
  const hospitalId = hospitalSelect.value;
  const category = categorySelect.value;

  const cities = new Map();
  for (const h of hospitals) if (!cities.has(h.city)) cities.set(h.city, cityName(h.city, h.province, language));
  const cityOptions = [...cities]
    .sort((a, b) => collator.compare(a[1], b[1]))
    .map(([value, label]) => option(value, label, value === city));
  citySelect.replaceChildren(option('', t('allCities'), city === ''), ...cityOptions);

  const inCity = hospitals
    .filter((h) => !citySelect.value || h.city === citySelect.value)
    .map((h) => [h.id, hospitalLabel(h, language)])
    .sort((a, b) => collator.compare(a[1], b[1]));
  hospitalSelect.replaceChildren(option('', t('allHospitals'), true), ...inCity.map(([id, label]) => option(id, label, id === hospitalId)));

  categorySelect.replaceChildren(
    option('', t('allCategories'), category === ''),
    ...categoryCodes.map((code) => option(code, categoryName(code, language), code === category)),
  );
}

export function readQuery(identity) {
  const from = $('#filter-from').value;
  const to = $('#filter-to').value;
  return {
    from,
    to,
    admin: identity.isAdmin,
    granularity: daysBetween(from, to) <= 92 ? 'day' : 'month',
    // A hospital client sees its own figures only (the API enforces it): no city or hospital to choose.
    city: identity.isAdmin ? $('#filter-city').value : '',
    hospitalId: identity.isAdmin ? $('#filter-hospital').value : (identity.hospitalId ?? ''),
    category: $('#filter-category').value,
  };
}

/**
 * One URL per panel. The savings report takes every filter. Declines and flows have no exam
 * category (they are counted by reason and by pair of hospitals); certification has no period
 * (it is the status today) and its category is applied here, on its rows. Recalls have neither
 * city nor category; the hospital an administrator picks is the one told, and a hospital client
 * names none, so it sees the recalls made to it and those of the results it issued.
 */
export function reportUrls(query) {
  const period = { from: query.from, to: query.to };
  const place = { hospitalId: query.hospitalId, city: query.city };
  const savings = { ...period, ...place, category: query.category };
  return {
    trend: reportUrl('/v1/reports/savings', { ...savings, groupBy: query.granularity }),
    items: reportUrl('/v1/reports/savings', { ...savings, groupBy: 'item' }),
    league: reportUrl('/v1/reports/savings', { ...savings, groupBy: 'receiving-hospital' }),
    declines: reportUrl('/v1/reports/declines', { ...period, ...place, groupBy: 'code' }),
    flows: reportUrl('/v1/reports/flows', { ...period, ...place }),
    certifications: reportUrl('/v1/reports/certifications', place),
    recalls: reportUrl('/v1/reports/recalls', { ...period, hospitalId: query.admin ? query.hospitalId : '' }),
  };
}

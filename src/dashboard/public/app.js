// The dashboard page: sign-in, filters, and the reports drawn as tiles, charts and tables.
// Plain ES modules, no build step; Chart.js is the UMD bundle loaded by index.html.
import { ApiError, describeToken, getCsv, getJson, reportUrl, requestToken, session } from './api.js';
import { destroyCharts, drawDeclines, drawTopItems, drawTrend } from './charts.js';
import { currentLanguage, formatNumber, formatPercent, has, setLanguage, t, translatePage } from './i18n.js';

const $ = (selector) => document.querySelector(selector);

const state = {
  token: null,
  identity: null,
  expiryTimer: null,
  /** Bumped by every load, so an answer that arrives after a newer request is dropped. */
  loadSequence: 0,
  hospitals: [],
  /** The last loaded reports: { query, urls, data: { trend, items, league, declines, flows } }. */
  reports: null,
};

// ---- Dates: reports count Asia/Shanghai calendar days, `to` inclusive. ----

function shanghaiToday() {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Every day (or month) key of the period, so days without activity show as zero, not as a gap. */
function periodKeys(from, to, granularity) {
  const keys = [];
  if (granularity === 'day') {
    for (let day = from; day <= to; day = addDays(day, 1)) keys.push(day);
  } else {
    for (let month = from.slice(0, 7); month <= to.slice(0, 7); ) {
      keys.push(month);
      const [y, m] = month.split('-').map(Number);
      month = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    }
  }
  return keys;
}

// ---- Messages ----

function showBanner(message) {
  $('#banner-text').textContent = message;
  $('#banner').hidden = false;
}

function hideBanner() {
  $('#banner').hidden = true;
}

function reportError(error) {
  if (error instanceof ApiError && error.status === 401 && state.token) {
    signOut();
    showBanner(`${t('sessionExpired')} ${error.message}`);
  } else if (error instanceof ApiError && error.status === 0) {
    showBanner(t('unreachable'));
  } else {
    showBanner(error instanceof Error ? error.message : String(error));
  }
}

function setStatus(text) {
  $('#status').textContent = text;
}

// ---- Session ----

function startSession(token) {
  const identity = describeToken(token);
  if (!identity) throw new ApiError(400, t('badToken'));
  if (identity.expiresAt !== null && identity.expiresAt <= Date.now()) throw new ApiError(401, t('sessionExpired'));
  session.store(token);
  state.token = token;
  state.identity = identity;
  clearTimeout(state.expiryTimer);
  if (identity.expiresAt !== null) {
    state.expiryTimer = setTimeout(() => {
      signOut();
      showBanner(t('sessionExpired'));
    }, Math.min(identity.expiresAt - Date.now(), 2 ** 31 - 1));
  }
  $('#sign-in').hidden = true;
  $('#dashboard').hidden = false;
  $('#sign-out').hidden = false;
  // Hospital clients see their own figures only (the API enforces it); the filters would only mislead.
  $('#hospital-field').hidden = !identity.isAdmin;
  $('#city-field').hidden = !identity.isAdmin;
  renderIdentity();
  hideBanner();
  void loadEverything();
}

function signOut() {
  session.clear();
  clearTimeout(state.expiryTimer);
  Object.assign(state, { token: null, identity: null, hospitals: [], reports: null });
  destroyCharts();
  $('#credentials-form').reset();
  $('#token-form').reset();
  $('#dashboard').hidden = true;
  $('#sign-out').hidden = true;
  $('#identity').hidden = true;
  $('#sign-in').hidden = false;
  document.body.dataset.state = 'signed-out';
}

function renderIdentity() {
  const identity = state.identity;
  const element = $('#identity');
  if (!identity) return;
  const role = identity.isAdmin ? t('administrator') : t('hospitalUser', { hospital: hospitalName(identity.hospitalId) });
  element.textContent = t('signedInAs', { who: `${identity.subject} (${role})` });
  element.hidden = false;
}

// ---- Filters ----

function hospitalName(id) {
  return state.hospitals.find((h) => h.id === id)?.name ?? id ?? '';
}

async function loadHospitals() {
  const hospitals = [];
  let cursor = null;
  // At most 20 pages of 500: a province's worth, far beyond any real registry.
  for (let page = 0; page < 20; page += 1) {
    const body = await getJson(state.token, reportUrl('/v1/hospitals', { limit: 500, cursor }));
    hospitals.push(...body.hospitals);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  state.hospitals = hospitals;
  renderFilterOptions();
  renderIdentity();
}

function option(value, label, selected) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = label;
  element.selected = selected;
  return element;
}

function renderFilterOptions() {
  const collator = new Intl.Collator(currentLanguage() === 'zh' ? 'zh-CN' : 'en');
  const citySelect = $('#filter-city');
  const hospitalSelect = $('#filter-hospital');
  const city = citySelect.value;
  const hospitalId = hospitalSelect.value;
  const cities = [...new Set(state.hospitals.map((h) => h.city))].sort(collator.compare);
  citySelect.replaceChildren(option('', t('allCities'), city === ''), ...cities.map((c) => option(c, c, c === city)));
  const inCity = state.hospitals.filter((h) => !citySelect.value || h.city === citySelect.value).sort((a, b) => collator.compare(a.name, b.name));
  hospitalSelect.replaceChildren(option('', t('allHospitals'), true), ...inCity.map((h) => option(h.id, h.name, h.id === hospitalId)));
}

function readQuery() {
  const from = $('#filter-from').value;
  const to = $('#filter-to').value;
  const identity = state.identity;
  return {
    from,
    to,
    granularity: daysBetween(from, to) <= 92 ? 'day' : 'month',
    city: identity.isAdmin ? $('#filter-city').value : '',
    hospitalId: identity.isAdmin ? $('#filter-hospital').value : identity.hospitalId ?? '',
  };
}

function reportUrls(query) {
  const period = { from: query.from, to: query.to };
  const place = { hospitalId: query.hospitalId, city: query.city };
  return {
    trend: reportUrl('/v1/reports/savings', { ...period, groupBy: query.granularity, ...place }),
    items: reportUrl('/v1/reports/savings', { ...period, groupBy: 'item', ...place }),
    league: reportUrl('/v1/reports/savings', { ...period, groupBy: 'receiving-hospital', ...place }),
    declines: reportUrl('/v1/reports/declines', { ...period, groupBy: 'code', hospitalId: query.hospitalId }),
    flows: reportUrl('/v1/reports/flows', { ...period, ...place }),
  };
}

// ---- Loading ----

async function loadEverything() {
  document.body.dataset.state = 'loading';
  try {
    await loadHospitals();
  } catch (error) {
    reportError(error);
    if (!state.token) return;
  }
  await loadReports();
}

async function loadReports() {
  const query = readQuery();
  if (!query.from || !query.to || query.from > query.to) {
    showBanner(t('badPeriod'));
    return;
  }
  document.body.dataset.state = 'loading';
  setStatus(t('loading'));
  const ticket = ++state.loadSequence;
  const token = state.token;
  const urls = reportUrls(query);
  const names = Object.keys(urls);
  const outcomes = await Promise.allSettled(names.map((name) => getJson(token, urls[name], currentLanguage())));
  if (ticket !== state.loadSequence || state.token !== token) return;
  const data = {};
  let failure = null;
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') data[names[index]] = outcome.value;
    else failure ??= outcome.reason;
  });
  state.reports = { query, urls, data };
  render();
  if (failure) reportError(failure);
  else hideBanner();
  if (state.token) document.body.dataset.state = 'ready';
}

async function downloadCsv(name) {
  const reports = state.reports;
  if (!reports) return;
  try {
    const blob = await getCsv(state.token, reports.urls[name], currentLanguage());
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${name}-${reports.query.from}-${reports.query.to}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    // Give the browser time to start the download before the object URL goes.
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    reportError(error);
  }
}

// ---- Rendering ----

function render() {
  const reports = state.reports;
  if (!reports) return;
  const { query, data } = reports;
  setStatus(t('updated', { from: query.from, to: query.to }));
  renderTiles(data.trend?.totals);
  renderTrend(data.trend, query);
  renderTopItems(data.items);
  renderDeclines(data.declines);
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

function renderDeclines(report) {
  const rows = (report?.rows ?? []).filter((row) => row.declines > 0).sort((a, b) => b.declines - a.declines);
  drawDeclines($('#declines-chart'), {
    labels: rows.map((row) => (has(row.key) ? t(row.key) : row.label || row.key)),
    declines: rows.map((row) => row.declines),
  });
  const totals = report?.totals;
  const { city, hospitalId } = state.reports.query;
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

// ---- Wiring ----

function switchLanguage() {
  setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh');
  translatePage();
  renderIdentity();
  if (state.hospitals.length > 0) renderFilterOptions();
  render();
  // Labels the API words (decline codes) come in the language asked for: ask again.
  if (state.reports) void loadReports();
}

function init() {
  translatePage();
  const today = shanghaiToday();
  $('#filter-from').value = addDays(today, -29);
  $('#filter-to').value = today;

  $('#language-toggle').addEventListener('click', switchLanguage);
  $('#sign-out').addEventListener('click', signOut);
  $('#banner-close').addEventListener('click', hideBanner);
  $('#filter-city').addEventListener('change', renderFilterOptions);
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadReports();
  });
  $('#credentials-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      startSession(await requestToken(String(form.get('clientId')).trim(), String(form.get('clientSecret'))));
    } catch (error) {
      reportError(error);
    }
  });
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      startSession(String(new FormData(event.target).get('token')).trim());
    } catch (error) {
      reportError(error);
    }
  });
  for (const button of document.querySelectorAll('[data-csv]')) {
    button.addEventListener('click', () => void downloadCsv(button.dataset.csv));
  }

  const saved = session.token();
  if (saved) {
    try {
      startSession(saved);
      return;
    } catch {
      session.clear();
    }
  }
  signOut();
}

init();

// The dashboard page: sign-in, filters, and the reports drawn as tiles, charts and tables.
// Plain ES modules, no build step; Chart.js is the UMD bundle loaded by index.html.
import { ApiError, describeToken, getCsv, getJson, reportUrl, requestToken, session } from './api.js';
import { destroyCharts } from './charts.js';
import { applyPreset, readQuery, renderFilterOptions, reportUrls } from './filters.js';
import { currentLanguage, setLanguage, t, translatePage } from './i18n.js';
import { hospitalDirectory, hospitalLabel } from './labels.js';
import { renderReports } from './render.js';

const $ = (selector) => document.querySelector(selector);

const state = {
  token: null,
  identity: null,
  expiryTimer: null,
  /** Bumped by every load, so an answer that arrives after a newer request is dropped. */
  loadSequence: 0,
  hospitals: [],
  /** The last loaded reports: { query, urls, data: { trend, items, league, declines, flows, certifications, recalls } }. */
  reports: null,
};

/** Draws the last loaded reports again (after a load, or in the other language). */
function render() {
  const reports = state.reports;
  if (!reports) return;
  setStatus(t('updated', { from: reports.query.from, to: reports.query.to }));
  renderReports({ ...reports, hospitals: state.hospitals });
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
    state.expiryTimer = setTimeout(
      () => {
        signOut();
        showBanner(t('sessionExpired'));
      },
      Math.min(identity.expiresAt - Date.now(), 2 ** 31 - 1),
    );
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
  const hospital = hospitalDirectory(state.hospitals)(identity.hospitalId);
  const role = identity.isAdmin ? t('administrator') : t('hospitalUser', { hospital: hospitalLabel(hospital, currentLanguage()) });
  element.textContent = t('signedInAs', { who: `${identity.subject} (${role})` });
  element.hidden = false;
}

// ---- Filters ----

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
  renderFilterOptions(state.hospitals);
  renderIdentity();
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
  const query = readQuery(state.identity);
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

// ---- Wiring ----

function switchLanguage() {
  setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh');
  translatePage();
  renderIdentity();
  renderFilterOptions(state.hospitals);
  render();
  // Labels the API words (decline codes) come in the language asked for: ask again.
  if (state.reports) void loadReports();
}

function init() {
  translatePage();
  renderFilterOptions([]);
  applyPreset();

  $('#language-toggle').addEventListener('click', switchLanguage);
  $('#sign-out').addEventListener('click', signOut);
  $('#banner-close').addEventListener('click', hideBanner);
  $('#filter-city').addEventListener('change', () => renderFilterOptions(state.hospitals));
  // A preset fills the dates and draws at once; a date typed by hand makes the period custom.
  $('#filter-preset').addEventListener('change', () => {
    applyPreset();
    if (state.token) void loadReports();
  });
  for (const id of ['#filter-from', '#filter-to']) $(id).addEventListener('change', () => ($('#filter-preset').value = 'custom'));
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

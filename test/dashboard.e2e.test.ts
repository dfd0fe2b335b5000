import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCredentials, createTestContext, type TestContext } from './helpers/context.ts';
import { adminToken } from './helpers/auth.ts';
import { dashboardHospitals, seedDashboardWorld, type DashboardWorld } from './helpers/dashboard-world.ts';

// The dashboard in a real browser: Debian's chromium driven by playwright-core. Where it is not
// installed (a developer machine), the test is skipped and says why; the rest of the suite runs.
const chromiumPath = '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) {
  console.warn(`dashboard e2e test skipped: ${chromiumPath} is absent (CI installs it with apt-get install -y chromium)`);
}

// The README's screenshot is refreshed only on request (UPDATE_SCREENSHOT=1 npm test), so a test run
// leaves the working tree clean; otherwise it goes with the other artifacts.
const screenshotFile = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../docs/dashboard.png', import.meta.url))
  : fileURLToPath(new URL('./artifacts/dashboard.png', import.meta.url));
// Further views, for a person looking into a failure (ignored by git).
const artifactsDir = fileURLToPath(new URL('./artifacts/', import.meta.url));

let ctx: TestContext;
let world: DashboardWorld;
let origin: string;
let browser: Browser;
let page: Page;
const browserErrors: string[] = [];

interface Totals {
  recognitions: number;
  yuan: number;
  minutes: number;
  radiationMsv: number;
  recognitionRate: number | null;
}

beforeAll(async () => {
  if (!haveChromium) return;
  ctx = await createTestContext();
  world = await seedDashboardWorld(ctx);
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  page = await context.newPage();
  // A CSP violation, a failed asset or a script error all surface here.
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) browserErrors.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

async function signIn(clientId: string, clientSecret: string) {
  await page.getByLabel('Client ID').fill(clientId);
  await page.getByLabel('Client secret').fill(clientSecret);
  await page.locator('#credentials-form button[type=submit]').click();
}

async function waitForFigures() {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
}

/** The savings report the page asked for, fetched by the test for the page's own period. */
async function savingsTotals(token: string, extra: Record<string, string> = {}): Promise<Totals> {
  const from = await page.inputValue('#filter-from');
  const to = await page.inputValue('#filter-to');
  const query = new URLSearchParams({ from, to, groupBy: 'day', ...extra });
  const response = await fetch(`${origin}/v1/reports/savings?${query}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { totals: Totals }).totals;
}

async function tileValues() {
  const tiles: Record<string, { raw: string | null; text: string | null }> = {};
  for (const name of ['recognitions', 'yuan', 'hours', 'msv', 'rate']) {
    const value = page.locator(`[data-kpi="${name}"] .value`);
    tiles[name] = { raw: await value.getAttribute('data-value'), text: await value.textContent() };
  }
  return tiles;
}

// The test's tsconfig has no DOM library: the little of the browser it touches is typed here.
interface BrowserGlobals {
  sessionStorage: { getItem(key: string): string | null };
  Chart: { getChart(canvas: unknown): { config: { type: string }; data: { datasets: { data: number[] }[] } } | undefined };
}

const storedToken = () => page.evaluate(() => (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('mre.dashboard.token'));

/** Size and data of the Chart.js chart drawn on a canvas. */
function chartOn(id: string) {
  return page.locator(`#${id}`).evaluate((canvas: { width: number; height: number }) => {
    const chart = (globalThis as unknown as BrowserGlobals).Chart.getChart(canvas);
    return { width: canvas.width, height: canvas.height, type: chart?.config.type, values: chart?.data.datasets[0].data ?? [] };
  });
}

const en = (value: number, digits = 0) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(value);

describe('the dashboard in Chromium', () => {
  it.skipIf(!haveChromium)('shows an API error in a banner when sign-in fails', async () => {
    await page.goto(`${origin}/dashboard`);
    await expect(page.locator('#sign-in').isVisible()).resolves.toBe(true);
    await signIn(adminCredentials.clientId, 'not-the-secret');
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await page.textContent('#banner-text')).toMatch(/client/i);
    await mkdir(artifactsDir, { recursive: true });
    await page.screenshot({ path: `${artifactsDir}dashboard-sign-in.png` });
  });

  it.skipIf(!haveChromium)('signs in with client credentials and shows the API’s figures in the tiles', async () => {
    await signIn(adminCredentials.clientId, adminCredentials.clientSecret);
    await waitForFigures();
    expect(await page.locator('#banner').isVisible()).toBe(false);
    expect(await storedToken()).toMatch(/^ey/);
    expect(await page.locator('#hospital-field').isVisible()).toBe(true);

    const totals = await savingsTotals(await adminToken(ctx.app));
    expect(totals.recognitions).toBeGreaterThan(20);
    const tiles = await tileValues();
    expect(Number(tiles.recognitions.raw)).toBe(totals.recognitions);
    expect(tiles.recognitions.text).toBe(en(totals.recognitions));
    expect(Number(tiles.yuan.raw)).toBe(totals.yuan);
    expect(tiles.yuan.text).toBe(en(totals.yuan));
    expect(Number(tiles.hours.raw)).toBeCloseTo(totals.minutes / 60, 9);
    expect(tiles.hours.text).toBe(en(totals.minutes / 60, 1));
    expect(Number(tiles.msv.raw)).toBe(totals.radiationMsv);
    expect(tiles.msv.text).toBe(en(totals.radiationMsv, 1));
    expect(Number(tiles.rate.raw)).toBe(totals.recognitionRate);
    expect(tiles.rate.text).toBe(new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(totals.recognitionRate ?? 0));
  });

  it.skipIf(!haveChromium)('draws the charts and the tables', async () => {
    const ids = ['trend-chart', 'items-chart', 'declines-chart'];
    const charts = await Promise.all(ids.map(async (id) => ({ id, ...(await chartOn(id)) })));
    for (const chart of charts) {
      expect(chart.width, chart.id).toBeGreaterThan(100);
      expect(chart.height, chart.id).toBeGreaterThan(100);
      expect(chart.values.length, chart.id).toBeGreaterThan(0);
    }
    expect(charts.map((c) => c.type)).toEqual(['bar', 'bar', 'doughnut']);
    const totals = await savingsTotals(await adminToken(ctx.app));
    const trendSum = charts[0].values.reduce((sum, n) => sum + n, 0);
    expect(trendSum).toBe(totals.recognitions);
    expect(charts[0].values).toHaveLength(30);

    const league = await page.$$eval('#league-table tbody tr', (rows) => rows.map((row) => row.querySelector('th')?.textContent));
    expect(league).toHaveLength(dashboardHospitals.length);
    expect(await page.locator('#flows-table tbody tr').count()).toBeGreaterThan(3);
  });

  it.skipIf(!haveChromium)('downloads a report as CSV, the same text the API answers', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-csv="trend"]').click()]);
    expect(download.suggestedFilename()).toMatch(/^trend-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const saved = await readFile(String(await download.path()), 'utf8');
    const from = await page.inputValue('#filter-from');
    const to = await page.inputValue('#filter-to');
    const api = await fetch(`${origin}/v1/reports/savings?${new URLSearchParams({ from, to, groupBy: 'day' })}`, {
      headers: { authorization: `Bearer ${await adminToken(ctx.app)}`, accept: 'text/csv' },
    });
    expect(saved).toBe(await api.text());
    expect(saved.split('\r\n')[0]).toMatch(/^key,label,checks,/);
  });

  it.skipIf(!haveChromium)('saves a screenshot for the README', async () => {
    await mkdir(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: screenshotFile, fullPage: false });
    expect(existsSync(screenshotFile)).toBe(true);
  });

  it.skipIf(!haveChromium)('filters by city and hospital', async () => {
    await page.selectOption('#filter-city', 'Ningbo');
    const options = await page.locator('#filter-hospital option').evaluateAll((list: { value: string }[]) => list.map((o) => o.value));
    expect(options).toEqual(['', 'NB-LHL']);
    await page.selectOption('#filter-hospital', 'NB-LHL');
    await page.locator('#filters button[type=submit]').click();
    await waitForFigures();
    const totals = await savingsTotals(await adminToken(ctx.app), { hospitalId: 'NB-LHL', city: 'Ningbo' });
    expect(Number((await tileValues()).recognitions.raw)).toBe(totals.recognitions);
    expect(await page.$$eval('#league-table tbody th', (cells) => cells.map((c) => c.textContent))).toEqual(['Ningbo Lihuili Hospital']);
  });

  it.skipIf(!haveChromium)('switches to Chinese', async () => {
    await page.locator('#language-toggle').click();
    await waitForFigures();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('h1')).toBe('检查检验结果互认看板');
    expect(await page.textContent('[data-kpi="recognitions"] h3')).toBe('互认次数');
    expect(await page.textContent('#language-toggle')).toBe('English');
    expect(await page.textContent('#trend-heading')).toBe('每日趋势');
    await page.screenshot({ path: `${artifactsDir}dashboard-zh.png` });
    await page.locator('#language-toggle').click();
    await waitForFigures();
    expect(await page.textContent('h1')).toBe('Mutual recognition dashboard');
  });

  it.skipIf(!haveChromium)('shows a hospital user its own figures, without the hospital filter', async () => {
    await page.locator('#sign-out').click();
    expect(await storedToken()).toBeNull();
    const hospital = 'WZ-CENTRAL';
    const { clientId, clientSecret } = world.clients[hospital];
    await signIn(clientId, clientSecret);
    await waitForFigures();
    expect(await page.locator('#hospital-field').isVisible()).toBe(false);
    expect(await page.textContent('#identity')).toContain('Wenzhou Central Hospital');
    const response = await fetch(`${origin}/v1/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await response.json()) as { access_token: string }).access_token;
    const own = await savingsTotals(token);
    const all = await savingsTotals(await adminToken(ctx.app));
    expect(own.recognitions).toBeLessThan(all.recognitions);
    expect(Number((await tileValues()).recognitions.raw)).toBe(own.recognitions);
    await page.screenshot({ path: `${artifactsDir}dashboard-hospital.png` });
  });

  it.skipIf(!haveChromium)('accepts a pasted access token instead of credentials', async () => {
    await page.locator('#sign-out').click();
    await page.getByLabel('Access token').fill(await adminToken(ctx.app));
    await page.locator('#token-form button[type=submit]').click();
    await waitForFigures();
    expect(await page.textContent('#identity')).toContain('administrator');
    expect(await page.locator('#hospital-field').isVisible()).toBe(true);
  });

  it.skipIf(!haveChromium)('ran without a script error or a CSP violation', () => {
    // The one expected failure: the wrong secret of the first test.
    const expected = ['401 /v1/oauth/token', 'Failed to load resource: the server responded with a status of 401 (Unauthorized)'];
    expect(browserErrors.filter((text) => !expected.includes(text))).toEqual([]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The world the dashboard is tested in: the real demo, as `npm start` gives it to someone trying
 * the exchange for the first time. `node src/server.ts` runs as a child process on the embedded
 * database kept in memory (DATA_DIR=memory), loads the demo province and its year of history, and
 * listens on a free port. Nothing of the test's own environment reaches it (no DATABASE_URL: the
 * demo is what the embedded database shows).
 */

export const demoAdmin = { clientId: 'admin', clientSecret: 'dashboard-e2e-admin-secret' };

export interface DemoServer {
  origin: string;
  /** The pino record of the demo load (demoData, history, provinceMs, historyMs, ms). */
  demoLoad: Record<string, unknown> & { msg: string };
  /** From spawning the process to its first answer, in milliseconds. */
  startMs: number;
  stop(): Promise<void>;
}

const repository = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function startDemoServer(timeoutMs = 180_000): Promise<DemoServer> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, ['src/server.ts'], {
    cwd: repository,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: 'memory',
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_CLIENT_SECRET: demoAdmin.clientSecret,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk) => stderr.push(String(chunk)));
  let demoLoad: DemoServer['demoLoad'] | null = null;
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo server did not start within ${timeoutMs} ms: ${stderr.join('')}`)),
      timeoutMs,
    );
    child.once('exit', (code) => reject(new Error(`the demo server exited (${code}) before listening: ${stderr.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{') && line.includes('"demoData"')) demoLoad = JSON.parse(line);
      if (line.includes('is listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    await listening;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (!demoLoad) throw new Error('the demo server started without loading the demo');
  return {
    origin: `http://127.0.0.1:${port}`,
    demoLoad,
    startMs: Math.round(performance.now() - started),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An access token from the demo server, by client credentials. */
export async function demoToken(origin: string, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${origin}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (response.status !== 200) throw new Error(`token for ${clientId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * Chromium on the dashboard: a page in Shanghai's time zone whose script errors, CSP violations and
 * failed requests are collected in `errors`, and whose report requests in `reportRequests`.
 */
export async function openDashboardBrowser(executablePath: string) {
  const browser: Browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const reportRequests: URL[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${new URL(response.url()).pathname}`);
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/reports/')) reportRequests.push(url);
  });
  return { browser, page, errors, reportRequests };
}

export async function signIn(page: Page, clientId: string, clientSecret: string) {
  await page.getByLabel('Client ID').fill(clientId);
  await page.getByLabel('Client secret').fill(clientSecret);
  await page.locator('#credentials-form button[type=submit]').click();
}

/** Every panel drawn (the page marks the body once all its reports have answered). */
export async function waitForFigures(page: Page) {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
}

export async function tileValues(page: Page) {
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
  Chart: {
    getChart(canvas: unknown): { config: { type: string }; data: { labels: string[]; datasets: { data: number[] }[] } } | undefined;
  };
}

export const storedToken = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('mre.dashboard.token'));

/** Size and data of the Chart.js chart drawn on a canvas (type undefined: none, the panel says "no data"). */
export function chartOn(page: Page, id: string) {
  return page.locator(`#${id}`).evaluate((canvas: { width: number; height: number }) => {
    const chart = (globalThis as unknown as BrowserGlobals).Chart.getChart(canvas);
    return {
      width: canvas.width,
      height: canvas.height,
      type: chart?.config.type,
      labels: chart?.data.labels ?? [],
      values: chart?.data.datasets[0].data ?? [],
    };
  });
}

/** The trimmed text of every element the selector finds. */
export const texts = (page: Page, selector: string) => page.$$eval(selector, (cells) => cells.map((c) => (c.textContent ?? '').trim()));

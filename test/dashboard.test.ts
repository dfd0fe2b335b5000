import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCsp } from '../src/dashboard/plugin.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx?.close();
});

describe('GET /dashboard', () => {
  it('answers the page with a strict content security policy', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/dashboard' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(dashboardCsp);
    expect(dashboardCsp).toContain("script-src 'self';");
    expect(dashboardCsp).toContain("frame-ancestors 'none'");
    expect(dashboardCsp).toContain("base-uri 'none'; form-action 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toContain('<script type="module" src="/dashboard/assets/app.js">');
    expect(response.body).toContain('/dashboard/assets/chart.umd.js');
  });

  it('has no inline script, style or event handler the policy would block', async () => {
    const { body } = await ctx.app.inject({ method: 'GET', url: '/dashboard' });
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(body).not.toMatch(/<style/i);
    expect(body).not.toMatch(/\sstyle=/i);
    expect(body).not.toMatch(/\son[a-z]+=/i);
    expect(body).not.toMatch(/https?:\/\//i);
  });

  it('revalidates with the ETag', async () => {
    const first = await ctx.app.inject({ method: 'GET', url: '/dashboard' });
    const etag = String(first.headers.etag);
    const again = await ctx.app.inject({ method: 'GET', url: '/dashboard', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('is not part of the OpenAPI document', async () => {
    const spec = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });
});

describe('GET /dashboard/assets/*', () => {
  it.each([
    ['app.js', 'text/javascript; charset=utf-8', 'import '],
    ['api.js', 'text/javascript; charset=utf-8', 'export '],
    ['charts.js', 'text/javascript; charset=utf-8', 'export '],
    ['dates.js', 'text/javascript; charset=utf-8', 'export '],
    ['filters.js', 'text/javascript; charset=utf-8', 'export '],
    ['labels.js', 'text/javascript; charset=utf-8', 'export '],
    ['tables.js', 'text/javascript; charset=utf-8', 'export '],
    ['i18n.js', 'text/javascript; charset=utf-8', 'export '],
    ['render.js', 'text/javascript; charset=utf-8', 'export '],
    ['recalls.js', 'text/javascript; charset=utf-8', 'export '],
    ['styles.css', 'text/css; charset=utf-8', ':root'],
    ['chart.umd.js', 'text/javascript; charset=utf-8', 'Chart.js v4'],
  ])('serves %s as %s', async (name, contentType, marker) => {
    const response = await ctx.app.inject({ method: 'GET', url: `/dashboard/assets/${name}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.body).toContain(marker);
  });

  it('serves every script and stylesheet of the page directory', async () => {
    const files = (await readdir(new URL('../src/dashboard/public/', import.meta.url))).filter((name) => name !== 'index.html');
    expect(files.length).toBeGreaterThan(2);
    for (const name of files) {
      expect((await ctx.app.inject({ method: 'GET', url: `/dashboard/assets/${name}` })).statusCode, name).toBe(200);
    }
  });

  it('answers an unknown asset with a problem+json 404', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/dashboard/assets/missing.js' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toMatchObject({ status: 404, type: expect.stringMatching(/not-found$/) });
  });

  it.each([
    '/dashboard/assets/../../package.json',
    '/dashboard/assets/..%2F..%2Fpackage.json',
    '/dashboard/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/dashboard/assets/..%5C..%5Cpackage.json',
    '/dashboard/assets/index.html',
    '/dashboard/assets/plugin.ts',
    '/dashboard/assets/chart.umd.js.map',
    '/dashboard/assets/constructor',
    '/dashboard/assets/__proto__',
  ])('does not leak files: %s', async (url) => {
    const response = await ctx.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.body).not.toContain('"dependencies"');
    expect(response.body).not.toContain('import ');
  });
});

// The page's label and date helpers are plain functions of their arguments: tested here in Node,
// and in the browser by dashboard.e2e.test.ts.
interface Labels {
  cityName(city: string, province: string | null, language: string): string;
  hospitalLabel(hospital: { id: string; name: string; city: string | null; province: string | null }, language: string): string;
  categoryName(code: string, language: string): string;
  hospitalDirectory(
    hospitals: { id: string; name: string; city: string; province: string }[],
  ): (id: string, name?: string) => { id: string; name: string };
}
interface Dates {
  presetPeriod(preset: string, today: string): { from: string; to: string };
  shanghaiDayOf(instant: string): string;
}
const publicModule = <T>(name: string): Promise<T> =>
  import(new URL(`../src/dashboard/public/${name}`, import.meta.url).href) as Promise<T>;

describe('dashboard labels', () => {
  it('tells namesakes apart: "name (city · id)", in Chinese with Chinese city names', async () => {
    const { hospitalLabel } = await publicModule<Labels>('labels.js');
    const hangzhou = { id: 'HZ-101', name: '第一人民医院', city: 'Hangzhou', province: 'Zhejiang' };
    const wenzhou = { id: 'WZ-101', name: '第一人民医院', city: 'Wenzhou', province: 'Zhejiang' };
    expect(hospitalLabel(hangzhou, 'en')).toBe('第一人民医院 (Hangzhou · HZ-101)');
    expect(hospitalLabel(wenzhou, 'en')).toBe('第一人民医院 (Wenzhou · WZ-101)');
    expect(hospitalLabel(hangzhou, 'zh')).toBe('第一人民医院（杭州 · HZ-101）');
    expect(hospitalLabel(wenzhou, 'zh')).toBe('第一人民医院（温州 · WZ-101）');
    // Two hospitals of one name in one city: the id still tells them apart.
    expect(hospitalLabel({ ...hangzhou, id: 'HZ-102' }, 'zh')).not.toBe(hospitalLabel(hangzhou, 'zh'));
    // A report row naming a hospital the page has not loaded keeps its id.
    expect(hospitalLabel({ id: 'XX-001', name: 'Unknown', city: null, province: null }, 'zh')).toBe('Unknown（XX-001）');
  });

  it('names every demo city, and Zhejiang’s others, in Chinese; unknown cities as registered', async () => {
    const { cityName } = await publicModule<Labels>('labels.js');
    const { demoHospitals } = await import('../src/demo/hospitals.ts');
    const expected: Record<string, string> = {
      Hangzhou: '杭州',
      Ningbo: '宁波',
      Wenzhou: '温州',
      Shaoxing: '绍兴',
      Shanghai: '上海',
      Nanjing: '南京',
      Suzhou: '苏州',
    };
    expect(new Set(demoHospitals.map((h) => h.city))).toEqual(new Set(Object.keys(expected)));
    for (const h of demoHospitals) expect(cityName(h.city, h.province, 'zh')).toBe(expected[h.city]);
    expect(cityName('Hangzhou', 'Zhejiang', 'en')).toBe('Hangzhou');
    for (const [city, zh] of [
      ['Jiaxing', '嘉兴'],
      ['Huzhou', '湖州'],
      ['Jinhua', '金华'],
      ['Quzhou', '衢州'],
      ['Zhoushan', '舟山'],
      ['Lishui', '丽水'],
    ]) {
      expect(cityName(city, 'Zhejiang', 'zh')).toBe(zh);
    }
    // One romanisation, two cities.
    expect(cityName('Taizhou', 'Zhejiang', 'zh')).toBe('台州');
    expect(cityName('Taizhou', 'Jiangsu', 'zh')).toBe('泰州');
    expect(cityName('Atlantis', null, 'zh')).toBe('Atlantis');
  });

  it('names categories in both languages, and falls back to the registry for unknown hospitals', async () => {
    const { categoryName, hospitalDirectory } = await publicModule<Labels>('labels.js');
    expect(categoryName('ultrasound', 'zh')).toBe('超声');
    expect(categoryName('lab', 'en')).toBe('Laboratory');
    expect(categoryName('all', 'zh')).toBe('全部项目');
    const lookup = hospitalDirectory([{ id: 'NB-001', name: '宁波市第一医院', city: 'Ningbo', province: 'Zhejiang' }]);
    expect(lookup('NB-001')).toMatchObject({ city: 'Ningbo' });
    expect(lookup('NB-404', '别的医院')).toEqual({ id: 'NB-404', name: '别的医院', city: null, province: null });
  });

  it('turns period presets into whole days and whole months', async () => {
    const { presetPeriod } = await publicModule<Dates>('dates.js');
    expect(presetPeriod('30d', '2026-03-01')).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    expect(presetPeriod('90d', '2026-12-04')).toEqual({ from: '2026-09-06', to: '2026-12-04' });
    // The last twelve full months: never a month cut short at either end.
    expect(presetPeriod('12m', '2026-12-04')).toEqual({ from: '2025-12-01', to: '2026-11-30' });
    expect(presetPeriod('12m', '2026-01-01')).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('dates an instant by its Asia/Shanghai day', async () => {
    const { shanghaiDayOf } = await publicModule<Dates>('dates.js');
    expect(shanghaiDayOf('2026-11-24T15:59:59.000Z')).toBe('2026-11-24');
    expect(shanghaiDayOf('2026-11-24T16:00:00.000Z')).toBe('2026-11-25');
    expect(shanghaiDayOf('2026-11-25T08:00:00+08:00')).toBe('2026-11-25');
  });
});

describe('dashboard page', () => {
  const publicText = (name: string) => readFile(new URL(`../src/dashboard/public/${name}`, import.meta.url), 'utf8');

  it('names every label of the page and its scripts in English and in Chinese', async () => {
    const source = await publicText('i18n.js');
    const keysOf = (part: string) => new Set([...part.matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]));
    const english = keysOf(source.slice(source.indexOf('  en: {'), source.indexOf('  zh: {')));
    const chinese = keysOf(source.slice(source.indexOf('  zh: {'), source.indexOf('const LANGUAGE_KEY')));
    expect(english.size).toBeGreaterThan(100);
    expect([...english].filter((key) => !chinese.has(key))).toEqual([]);
    expect([...chinese].filter((key) => !english.has(key))).toEqual([]);
    const used = new Set([...(await publicText('index.html')).matchAll(/data-i18n(?:-aria)?="(\w+)"/g)].map((m) => m[1]));
    for (const name of (await readdir(new URL('../src/dashboard/public/', import.meta.url))).filter((file) => file.endsWith('.js'))) {
      for (const m of (await publicText(name)).matchAll(/\bt\('(\w+)'/g)) used.add(m[1]);
    }
    expect(used.has('recallsStale')).toBe(true);
    expect([...used].filter((key) => !english.has(key))).toEqual([]);
  });

  it('has the recalls panel: its figures, the causes and issuers tables and the stale list', async () => {
    const { body } = await ctx.app.inject({ method: 'GET', url: '/dashboard' });
    for (const figure of ['recalls', 'acknowledged', 'open', 'hours', 'stale']) expect(body).toContain(`data-recall="${figure}"`);
    for (const table of ['recall-causes-table', 'recall-issuers-table', 'recall-stale-table']) expect(body).toContain(`id="${table}"`);
    expect(body).toContain('data-scope-note="recalls"');
  });
});

import { readdir } from 'node:fs/promises';
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
    ['i18n.js', 'text/javascript; charset=utf-8', 'export '],
    ['render.js', 'text/javascript; charset=utf-8', 'export '],
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

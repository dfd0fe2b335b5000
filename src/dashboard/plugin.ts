import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '../errors.ts';

/**
 * The administrators' and hospitals' dashboard: one static page that signs in with client
 * credentials and draws the reports API. No build step and nothing from outside the machine:
 * the page, its script and styles, and Chart.js from node_modules.
 */

// No inline script or style anywhere, so the page runs under the strictest useful policy; base-uri and
// form-action are not covered by default-src, so an injected <base> or form could not redirect the page.
export const dashboardCsp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
// chart.js exports only its ESM/CJS entry points; the UMD bundle sits beside them in dist/.
const chartJsDir = dirname(createRequire(import.meta.url).resolve('chart.js'));

interface Asset {
  file: string;
  contentType: string;
}

const javascript = 'text/javascript; charset=utf-8';
// An allow-list, not a directory: a name outside it is a 404 and a path can never escape.
const assets: Record<string, Asset> = {
  'app.js': { file: join(publicDir, 'app.js'), contentType: javascript },
  'api.js': { file: join(publicDir, 'api.js'), contentType: javascript },
  'charts.js': { file: join(publicDir, 'charts.js'), contentType: javascript },
  'dates.js': { file: join(publicDir, 'dates.js'), contentType: javascript },
  'filters.js': { file: join(publicDir, 'filters.js'), contentType: javascript },
  'labels.js': { file: join(publicDir, 'labels.js'), contentType: javascript },
  'tables.js': { file: join(publicDir, 'tables.js'), contentType: javascript },
  'i18n.js': { file: join(publicDir, 'i18n.js'), contentType: javascript },
  'render.js': { file: join(publicDir, 'render.js'), contentType: javascript },
  'recalls.js': { file: join(publicDir, 'recalls.js'), contentType: javascript },
  'styles.css': { file: join(publicDir, 'styles.css'), contentType: 'text/css; charset=utf-8' },
  'chart.umd.js': { file: join(chartJsDir, 'chart.umd.js'), contentType: javascript },
};

interface LoadedFile {
  body: Buffer;
  etag: string;
}

async function load(file: string): Promise<LoadedFile> {
  const body = await readFile(file);
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

function send(request: FastifyRequest, reply: FastifyReply, file: LoadedFile, contentType: string) {
  // Revalidate every time (cheap, tiny files) so a deployment never mixes old and new assets.
  reply.header('cache-control', 'no-cache').header('etag', file.etag).header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  return reply.type(contentType).send(file.body);
}

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const page = await load(join(publicDir, 'index.html'));
  const loaded = new Map<string, LoadedFile>();
  for (const [name, asset] of Object.entries(assets)) loaded.set(name, await load(asset.file));

  app.get('/dashboard', { schema: { hide: true } }, async (request, reply) => {
    reply.header('content-security-policy', dashboardCsp).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return send(request, reply, page, 'text/html; charset=utf-8');
  });

  app.get<{ Params: { name: string } }>('/dashboard/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    const file = Object.hasOwn(assets, name) ? loaded.get(name) : undefined;
    if (!file) throw new NotFound(`No dashboard asset ${name}`);
    return send(request, reply, file, assets[name].contentType);
  });
};

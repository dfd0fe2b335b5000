import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './helpers/auth.ts';
import { createTestContext, type TestContext } from './helpers/context.ts';
import { makeHospital, makeHospitalClient } from './helpers/factories.ts';
import { tokenFor } from './helpers/auth.ts';

/**
 * An oversized body is answered 413 problem+json that a client actually reads: the service reads
 * the rest of the upload before answering, so Node's fetch (undici) never sees a broken pipe.
 */
let ctx: TestContext;
let origin: string;
let admin: string;
let writer: string;

beforeAll(async () => {
  ctx = await createTestContext();
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
  admin = await adminToken(ctx.app);
  const client = await makeHospitalClient(ctx.db, await makeHospital(ctx.db));
  writer = await tokenFor(ctx.app, client.clientId, client.clientSecret);
});
afterAll(() => ctx.close());

const mib = 1024 * 1024;

/** A JSON body of about `size` bytes, sent with a Content-Length, or chunked as a stream. */
function body(size: number, chunked: boolean): string | ReadableStream<Uint8Array> {
  const text = `{"results":["${'x'.repeat(size)}"]}`;
  if (!chunked) return text;
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += mib)));
    },
  });
}

describe('oversized bodies', () => {
  it.each([
    { path: '/v1/hospitals/BIG', method: 'PUT', size: 3 * mib, token: () => admin },
    { path: '/v1/hospitals/BIG', method: 'PUT', size: 24 * mib, token: () => admin },
    { path: '/v1/results/batch', method: 'POST', size: 24 * mib, token: () => writer },
  ])('$method $path with $size bytes: 413 problem+json, every try, sized or chunked', async ({ path, method, size, token }) => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      for (const chunked of [false, true]) {
        const response = await fetch(origin + path, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
          body: body(size, chunked),
          ...(chunked ? { duplex: 'half' } : {}),
        } as RequestInit);
        expect(response.status).toBe(413);
        expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
        expect(await response.json()).toMatchObject({ type: expect.stringMatching(/payload-too-large$/), status: 413 });
      }
    }
  });
});

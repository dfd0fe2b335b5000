import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './helpers/context.ts';

/**
 * A client that sends its headers or its body slowly is cut once the request takes longer than its
 * bound, even on the unauthenticated token endpoint, with a 408 problem+json, so it cannot hold a
 * connection (and the memory of a half-read body) for ever.
 */
let ctx: TestContext;
let port: number;

beforeAll(async () => {
  ctx = await createTestContext({ REQUEST_HEADERS_TIMEOUT_MS: '500', REQUEST_BODY_TIMEOUT_MS: '1000' });
  await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  port = (ctx.app.server.address() as AddressInfo).port;
});
afterAll(() => ctx.close());

/** Opens a connection, sends `start`, then one more `drip` every 200 ms until the server closes it. */
async function dribble(start: string, drip: string) {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = Date.now();
  socket.write(start);
  let open = true;
  void closed.then(() => (open = false));
  for (let drips = 0; open && drips < 50; drips += 1) {
    await sleep(200);
    if (open && !socket.destroyed) socket.write(drip);
  }
  await closed;
  return { received, ms: Date.now() - started };
}

describe('slow clients', () => {
  it('cuts a body sent a byte at a time to the token endpoint, with a 408 problem', async () => {
    const { received, ms } = await dribble(
      'POST /v1/oauth/token HTTP/1.1\r\nHost: exchange.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=',
      'x',
    );
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toMatch(/Content-Type: application\/problem\+json; charset=utf-8/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 408,
      type: expect.stringMatching(/request-timeout$/),
    });
    expect(ms).toBeLessThan(8_000);
  });

  it('cuts headers sent a line at a time', async () => {
    const { received, ms } = await dribble('GET /healthz HTTP/1.1\r\nHost: exchange.test\r\n', 'X-Slow: yes\r\n');
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(6_000);
  });
});

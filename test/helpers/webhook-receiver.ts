import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got, as it arrived. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signatures: string[];
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers a request: a status, or 'hang' (never answer until the receiver closes). */
export type Answer = number | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1 that verifies every request's signature with the standardwebhooks
 * library, as a hospital would, and de-duplicates on webhook-id: `accepted` holds each message once.
 */
export async function startReceiver(answer: (request: ReceivedWebhook, index: number) => Answer = () => 200) {
  const received: ReceivedWebhook[] = [];
  const accepted = new Map<string, ReceivedWebhook>();
  const held = new Map<ServerResponse, ReceivedWebhook>();
  let secrets: string[] = [];
  const unverified: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const message: ReceivedWebhook = {
        id: String(request.headers['webhook-id']),
        timestamp: String(request.headers['webhook-timestamp']),
        signatures: String(request.headers['webhook-signature'] ?? '').split(' '),
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(message);
      for (const secret of secrets) {
        try {
          new Webhook(secret).verify(message.body, request.headers as Record<string, string>);
        } catch (error) {
          unverified.push(`${message.id}: ${(error as Error).message}`);
        }
      }
      const status = answer(message, received.length - 1);
      if (status === 'hang') {
        held.set(response, message);
        return;
      }
      if (status >= 200 && status < 300 && !accepted.has(message.id)) accepted.set(message.id, message);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `refused with ${status}` : 'ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    accepted,
    /** Every request must verify with each of these secrets. */
    verifyWith(list: string[]) {
      secrets = list;
    },
    /** Signature checks that failed, with why. */
    unverified,
    /** Answers the requests it is holding with this status. */
    release(status = 200) {
      for (const [response, message] of held) {
        if (response.destroyed) continue;
        if (status >= 200 && status < 300 && !accepted.has(message.id)) accepted.set(message.id, message);
        response.writeHead(status).end();
      }
      held.clear();
    },
    async close() {
      for (const response of held.keys()) response.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Waits until `done` holds, polling every 10 ms, for at most `timeoutMs`. */
export async function eventually(done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

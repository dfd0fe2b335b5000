import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './targets.ts';

export interface OutgoingWebhook {
  url: URL;
  /** The address that was checked: the request connects to it and nowhere else. */
  address: ResolvedAddress;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

export interface ReceiverAnswer {
  status: number;
  /** The start of the answer's body (at most `maxAnswerBytes`), kept to explain a refusal; empty for a 2xx. */
  body: string;
}

export const maxAnswerBytes = 4_096;

/**
 * One POST, on a connection of its own: no redirect is followed (a 3xx is an answer like any other
 * non-2xx), and at most a few KiB of the answer are read. `signal` bounds the whole exchange.
 */
export function postWebhook({ url, address, headers, body, signal }: OutgoingWebhook): Promise<ReceiverAnswer> {
  // The host name stays in the request (Host header, TLS server name and certificate check); only the connection is pinned.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: pinned,
      agent: false,
      signal,
    });
    outgoing.on('error', reject);
    outgoing.on('response', (answer: IncomingMessage) => {
      const status = answer.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        answer.destroy();
        resolve({ status, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        answer.destroy();
        resolve({ status, body: Buffer.concat(chunks).subarray(0, maxAnswerBytes).toString('utf8') });
      };
      answer.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= maxAnswerBytes) done();
      });
      answer.on('end', done);
      answer.on('error', done);
    });
    outgoing.end(body);
  });
}

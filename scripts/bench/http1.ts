// The load generator's HTTP/1.1 client: one request at a time on a kept-alive connection, each
// request written as one buffer built once, each answer's status read from its first line and its
// body delimited by Content-Length or chunked encoding. On a small machine the load generator takes
// its cores from the service and PostgreSQL, so it should cost as little as it can: undici's pool
// spent about 0.1 ms of CPU a request here (docs/performance.md, Round 16).
import { connect, type Socket } from 'node:net';

export interface Http1Request {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Http1Answer {
  status: number;
  body: Buffer;
}

const headerEnd = Buffer.from('\r\n\r\n');
const lineEnd = Buffer.from('\r\n');
const encoded = new WeakMap<Http1Request, Buffer>();

/** The request as bytes, built once per request object (the benchmark sends each many times). */
export function encodeRequest(host: string, request: Http1Request): Buffer {
  let bytes = encoded.get(request);
  if (!bytes) {
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: ${host}`];
    for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
    if (body) lines.push(`content-length: ${body.length}`);
    bytes = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body ?? Buffer.alloc(0)]);
    encoded.set(request, bytes);
  }
  return bytes;
}

/** Where an answer's body ends, once its head is read: a length, chunks, or the connection's close. */
type Framing = { kind: 'length'; end: number } | { kind: 'chunked'; at: number; chunks: Buffer[] } | { kind: 'close' };

interface Head {
  status: number;
  bodyStart: number;
  framing: Framing;
  closeAfter: boolean;
}

/** Reads the head of an answer from `data` once it is all there. */
export function parseHead(data: Buffer): Head | null {
  const end = data.indexOf(headerEnd);
  if (end < 0) return null;
  const lines = data.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0].slice(9, 12));
  if (!lines[0].startsWith('HTTP/1.') || !Number.isInteger(status)) throw new Error(`not an HTTP/1 answer: ${lines[0].slice(0, 80)}`);
  let length: number | null = null;
  let chunked = false;
  let closeAfter = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = value.split(',').at(-1)!.trim() === 'chunked';
    else if (name === 'connection') closeAfter = value.split(',').some((token) => token.trim() === 'close');
  }
  const bodyStart = end + headerEnd.length;
  const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
  const framing: Framing = bodiless
    ? { kind: 'length', end: bodyStart }
    : chunked
      ? { kind: 'chunked', at: bodyStart, chunks: [] }
      : length !== null
        ? { kind: 'length', end: bodyStart + length }
        : { kind: 'close' };
  return { status, bodyStart, framing, closeAfter: closeAfter || framing.kind === 'close' };
}

/** Advances a chunked body over what has arrived; its body once the last chunk and the trailer end are in. */
export function readChunks(data: Buffer, framing: Extract<Framing, { kind: 'chunked' }>): Buffer | null {
  for (;;) {
    const sizeEnd = data.indexOf(lineEnd, framing.at);
    if (sizeEnd < 0) return null;
    const size = Number.parseInt(data.toString('latin1', framing.at, sizeEnd).split(';')[0], 16);
    if (!Number.isInteger(size)) throw new Error('malformed chunk size');
    if (size === 0) {
      // The last chunk's line ends the trailers' (none here) with an empty line, like a head.
      if (data.indexOf(headerEnd, sizeEnd) < 0) return null;
      return Buffer.concat(framing.chunks);
    }
    const dataStart = sizeEnd + lineEnd.length;
    if (data.length < dataStart + size + lineEnd.length) return null;
    framing.chunks.push(data.subarray(dataStart, dataStart + size));
    framing.at = dataStart + size + lineEnd.length;
  }
}

/** One kept-alive connection: `send` writes a request and answers its answer; one at a time. */
export class Http1Connection {
  private socket: Socket | null = null;
  private data: Buffer = Buffer.alloc(0);
  private head: Head | null = null;
  private waiting: { resolve: (answer: Http1Answer) => void; reject: (error: Error) => void } | null = null;
  private readonly host: string;
  private readonly hostname: string;
  private readonly port: number;

  constructor(origin: string) {
    const url = new URL(origin);
    this.host = url.host;
    this.hostname = url.hostname;
    this.port = Number(url.port || 80);
  }

  send(request: Http1Request): Promise<Http1Answer> {
    if (this.waiting) return Promise.reject(new Error('a request is already in flight on this connection'));
    const bytes = encodeRequest(this.host, request);
    return new Promise<Http1Answer>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.open().write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = connect({ host: this.hostname, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => this.lost(socket, error));
    socket.on('close', () => this.lost(socket, new Error('connection closed by the server')));
    this.socket = socket;
    this.data = Buffer.alloc(0);
    this.head = null;
    return socket;
  }

  private received(chunk: Buffer): void {
    this.data = this.data.length === 0 ? chunk : Buffer.concat([this.data, chunk]);
    try {
      this.head ??= parseHead(this.data);
      if (!this.head || this.head.framing.kind === 'close') return;
      const framing = this.head.framing;
      let body: Buffer | null;
      if (framing.kind === 'length') body = this.data.length >= framing.end ? this.data.subarray(this.head.bodyStart, framing.end) : null;
      else body = readChunks(this.data, framing);
      if (body) this.answered(body);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private answered(body: Buffer): void {
    const { status, closeAfter } = this.head!;
    const waiting = this.waiting;
    this.waiting = null;
    this.data = Buffer.alloc(0);
    this.head = null;
    if (closeAfter) this.close();
    waiting?.resolve({ status, body });
  }

  /** The socket ended: an answer delimited by the close is complete; any other in flight failed. */
  private lost(socket: Socket, error: Error): void {
    if (socket !== this.socket) return;
    this.socket = null;
    if (this.head?.framing.kind === 'close') this.answered(this.data.subarray(this.head.bodyStart));
    else this.fail(error);
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    this.close();
    waiting?.reject(error);
  }
}

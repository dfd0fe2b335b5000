import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Connection } from '../../scripts/bench/http1.ts';
import { closedLoop, openLoop, runAll } from '../../scripts/bench/load.ts';

// The benchmark's own HTTP/1.1 client against a Node server answering every way a server may frame a body.
let server: Server;
let origin: string;
let sockets = 0;
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      switch (request.url) {
        case '/echo':
          response.writeHead(201, { 'content-type': 'text/plain', 'x-method': request.method });
          response.end(`${request.method} ${request.headers['content-length'] ?? '-'} ${body}`);
          return;
        case '/chunked':
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.write('first,');
          setImmediate(() => {
            response.write('second,');
            setImmediate(() => response.end('last'));
          });
          return;
        case '/none':
          response.writeHead(204).end();
          return;
        case '/close':
          response.writeHead(200, { connection: 'close', 'content-length': '3' }).end('bye');
          return;
        case '/refused':
          response.writeHead(422, { 'content-type': 'application/problem+json' }).end('{"title":"Unprocessable"}');
          return;
        case '/reset':
          request.socket.destroy();
          return;
        default:
          response.writeHead(404).end('no such path');
      }
    });
  });
  server.on('connection', () => (sockets += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Http1Connection', () => {
  it('sends each request whole and reads its answer, many on one kept-alive connection', async () => {
    const connection = new Http1Connection(origin);
    const before = sockets;
    const body = JSON.stringify({ name: '张三', items: ['CBC'] });
    for (let i = 0; i < 20; i += 1) {
      const answer = await connection.send({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(201);
      expect(answer.body.toString()).toBe(`POST ${Buffer.byteLength(body)} ${body}`);
    }
    expect(sockets - before).toBe(1);
    connection.close();
  });

  it('reads chunked bodies, bodiless answers and refusals', async () => {
    const connection = new Http1Connection(origin);
    const chunked = await connection.send({ method: 'GET', path: '/chunked', headers: {} });
    expect([chunked.status, chunked.body.toString()]).toEqual([200, 'first,second,last']);
    const none = await connection.send({ method: 'GET', path: '/none', headers: {} });
    expect([none.status, none.body.length]).toEqual([204, 0]);
    const refused = await connection.send({ method: 'GET', path: '/refused', headers: {} });
    expect([refused.status, refused.body.toString()]).toEqual([422, '{"title":"Unprocessable"}']);
    connection.close();
  });

  it('opens a new connection after the server closes one, and fails a request whose connection is reset', async () => {
    const connection = new Http1Connection(origin);
    const before = sockets;
    expect((await connection.send({ method: 'GET', path: '/close', headers: {} })).body.toString()).toBe('bye');
    expect((await connection.send({ method: 'GET', path: '/echo', headers: {} })).status).toBe(201);
    expect(sockets - before).toBe(2);
    await expect(connection.send({ method: 'GET', path: '/reset', headers: {} })).rejects.toThrow();
    expect((await connection.send({ method: 'GET', path: '/echo', headers: {} })).status).toBe(201);
    connection.close();
  });

  it('refuses a second request while one is in flight', async () => {
    const connection = new Http1Connection(origin);
    const first = connection.send({ method: 'GET', path: '/chunked', headers: {} });
    await expect(connection.send({ method: 'GET', path: '/echo', headers: {} })).rejects.toThrow(/in flight/);
    expect((await first).status).toBe(200);
    connection.close();
  });
});

describe('answers cut anywhere, and bodies ended by the close', () => {
  let tcp: TcpServer;
  let tcpOrigin: string;
  // Writes its answer a byte at a time (a head split anywhere, a chunk size split from its data).
  const answers: Record<string, string> = {
    '/bytes': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    '/chunks': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;note=x\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: 1\r\n\r\n',
    '/eof': 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end',
    '/garbage': 'SSH-2.0-OpenSSH\r\n\r\n',
  };

  beforeAll(async () => {
    tcp = createTcpServer((socket) => {
      socket.once('data', async (data) => {
        const path = data.toString('latin1').split(' ')[1];
        const answer = Buffer.from(answers[path]);
        for (const byte of answer) {
          socket.write(Buffer.from([byte]));
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (path === '/eof') socket.end();
      });
      socket.on('error', () => {});
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    tcpOrigin = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => tcp.close(() => resolve())));

  it.each([
    ['/bytes', 'hello'],
    ['/chunks', 'hello!'],
    ['/eof', 'until the end'],
  ])('%s', async (path, body) => {
    const connection = new Http1Connection(tcpOrigin);
    const answer = await connection.send({ method: 'GET', path, headers: {} });
    expect([answer.status, answer.body.toString()]).toEqual([200, body]);
    connection.close();
  });

  it('fails on an answer that is not HTTP/1', async () => {
    const connection = new Http1Connection(tcpOrigin);
    await expect(connection.send({ method: 'GET', path: '/garbage', headers: {} })).rejects.toThrow(/not an HTTP\/1 answer/);
  });
});

describe('the load loops over it', () => {
  const echo = { method: 'POST' as const, path: '/echo', headers: {}, body: '{}' };

  it('a closed loop counts every answer, and the unexpected ones as errors', async () => {
    const before = requests;
    const measured = await closedLoop(origin, 4, 0.3, (i) => (i % 10 === 9 ? { ...echo, path: '/refused' } : echo), [201]);
    expect(measured.requests).toBe(requests - before);
    expect(measured.errors).toBeGreaterThan(0);
    expect(measured.errors).toBeLessThan(measured.requests);
    expect(measured.errorSamples[0]).toMatch(/^422 \{"title":"Unprocessable"\}/);
  });

  it('runAll sends each request once; an open loop sends its rate', async () => {
    const all = await runAll(
      origin,
      3,
      Array.from({ length: 25 }, () => echo),
      [201],
    );
    expect([all.requests, all.errors]).toEqual([25, 0]);
    const open = await openLoop(origin, 200, 0.5, () => echo, [201]);
    expect([open.requests, open.errors]).toEqual([100, 0]);
  });
});

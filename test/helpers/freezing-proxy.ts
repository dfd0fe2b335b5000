import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A TCP proxy in front of PostgreSQL that can freeze: while frozen it accepts connections and
 * reads nothing, forwards nothing and closes nothing, as a server stopped with SIGSTOP (or cut off
 * without a reset) looks to its clients. Thawing lets traffic flow again.
 */
export async function freezingProxy(target: { host: string; port: number }) {
  let frozen = false;
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];

  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const connect = () => {
      const upstream = createConnection(target);
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      if (frozen) {
        client.pause();
        upstream.pause();
      }
    };
    if (frozen) {
      client.pause();
      waiting.push(connect);
    } else connect();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  return {
    port,
    /** The URL of `databaseUrl`'s database, reached through the proxy. */
    url(databaseUrl: string) {
      const parsed = new URL(databaseUrl);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    freeze() {
      frozen = true;
      for (const socket of sockets) socket.pause();
    },
    thaw() {
      frozen = false;
      for (const socket of sockets) socket.resume();
      for (const connect of waiting.splice(0)) connect();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

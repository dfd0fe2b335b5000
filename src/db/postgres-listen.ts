import pg from 'pg';
import type { PostgresLimits } from './postgres.ts';

interface ListenOptions {
  url: string;
  limits: PostgresLimits;
  channel: string;
  onMessage: (payload: string) => void;
  onListening: (listening: boolean) => void;
  onError: (error: Error) => void;
}

/**
 * A dedicated connection for LISTEN. When it breaks, `onListening(false)` (notifications may be
 * missed from then on) and a reconnection every second until it listens again: `onListening(true)`.
 */
export async function listenOnPostgres({ url, limits, channel, onMessage, onListening, onError }: ListenOptions) {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const reconnectLater = () => {
    if (!stopped) retry = setTimeout(() => connect().catch(reconnectLater), 1_000);
  };
  const connect = async () => {
    const next = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: limits.connectTimeoutMs });
    let lost = false;
    const lose = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (error) onError(error);
      if (client === next) {
        client = null;
        onListening(false);
      }
      next.end().catch(() => {});
      if (client === null) reconnectLater();
    };
    next.on('notification', (n) => n.channel === channel && onMessage(n.payload ?? ''));
    next.on('error', lose);
    next.on('end', () => lose());
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost = true;
      next.end().catch(() => {});
      throw error;
    }
    if (stopped) return void (await next.end());
    client = next;
    onListening(true);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    await current?.end();
  };
}

import { ServiceUnavailable } from '../errors.ts';

/**
 * Which database failures are outages rather than faults of a request: the connection was refused,
 * cut or timed out, the server is shutting down or out of connections, a statement ran past its
 * timeout or waited too long for a lock, or the server gave up a transaction that a retry may pass
 * (serialization failure, deadlock). They answer 503 with Retry-After; every other error keeps its
 * own meaning (a unique violation is a conflict, a data exception the caller's bad value).
 */
export type FaultKind = 'unavailable' | 'timeout' | 'busy';

const unavailableStates = [
  /^08/, // connection exception
  /^57P0[1-5]$/, // admin or crash shutdown, cannot connect now, database dropped, idle session timeout
  /^53/, // insufficient resources: too many connections, out of memory or disk
  /^25P03$/, // idle in transaction session timeout
];
const transientStates = new Set(['40001', '40P01']);
const timeoutStates = new Set(['57014', '55P03']);

const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
]);

// node-postgres reports a lost or unusable connection with plain Errors; these are their messages.
const driverMessages = /Connection terminated|not queryable|timeout exceeded when trying to connect|Query read timeout|Client was closed/;

export function faultKind(error: unknown): FaultKind | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (timeoutStates.has(code)) return 'timeout';
    if (transientStates.has(code) || unavailableStates.some((state) => state.test(code))) return 'unavailable';
    if (socketCodes.has(code)) return 'unavailable';
  }
  return driverMessages.test(error.message) ? 'unavailable' : null;
}

/** The 503 a database outage answers with; the original error stays as its cause (logged, never sent). */
export function unavailable(kind: FaultKind, cause: unknown): ServiceUnavailable {
  const detail =
    kind === 'busy'
      ? 'Too many requests are waiting for the database; retry shortly'
      : kind === 'timeout'
        ? 'The database did not answer in time; retry shortly'
        : 'The database is unavailable; retry shortly';
  return new ServiceUnavailable(detail, kind === 'busy' ? 'overloaded' : 'unavailable', kind === 'busy' ? 1 : 5, { cause });
}

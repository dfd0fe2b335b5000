import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { DatabaseOptions } from './db/database.ts';

/**
 * The environment, parsed once at start-up into a typed, nested object.
 * A bad setting stops boot with every problem listed (see `ConfigError`).
 */
const durationSeconds = z.coerce.number().int().positive();
const milliseconds = (fallback: number, max = 600_000) => z.coerce.number().int().min(1).max(max).default(fallback);
const perMinute = (fallback: number) => z.coerce.number().int().min(1).max(10_000_000).default(fallback);

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts beside addresses and CIDRs. */
const proxyRangeNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: `true`, `false`, or the proxies' addresses, CIDRs and range names, comma-separated.
 * Fastify 5 trusts no proxy when given a hop count (it cannot tell a proxy from a client that sends
 * enough hops), so every request would seem to come from the proxy: one client's failures would lock
 * out all the others. A number is refused rather than taken so.
 */
function trustedProxiesProblems(value: string | undefined, ctx: z.RefinementCtx) {
  if (value === undefined || value === 'true' || value === 'false') return;
  if (/^\d+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: "a hop count trusts no proxy in Fastify 5: name the proxies' addresses or CIDRs, or true" });
    return;
  }
  for (const entry of value.split(',').map((e) => e.trim())) {
    const [address, prefix, ...rest] = entry.split('/');
    const version = isIP(address);
    const bits = version === 4 ? 32 : 128;
    const valid =
      proxyRangeNames.has(entry) ||
      (version !== 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)));
    if (!valid)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry)} is not an address, a CIDR or one of loopback, linklocal, uniquelocal`,
      });
  }
}

const environment = z.object({
  // Its one effect: development lets webhooks reach plain http and private addresses (a receiver on this machine).
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  PATIENT_KEY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_SIGNING_KEY: z.string().optional(),
  ACCESS_TOKEN_TTL: durationSeconds.max(86_400).default(900),
  ADMIN_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{3,64}$/)
    .default('admin'),
  ADMIN_CLIENT_SECRET: z.string().min(12, 'must be at least 12 characters').optional(),
  // No default here: it depends on DATABASE_URL (see demoDataWanted).
  DEMO_DATA: z.enum(['auto', 'off']).optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  AGGREGATE_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(5_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: milliseconds(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds(10_000),
  DATABASE_LOCK_TIMEOUT_MS: milliseconds(5_000),
  DATABASE_MAX_WAITING: z.coerce.number().int().min(0).max(100_000).default(200),
  REQUEST_TIMEOUT_MS: milliseconds(20_000),
  REQUEST_HEADERS_TIMEOUT_MS: milliseconds(10_000),
  REQUEST_BODY_TIMEOUT_MS: milliseconds(30_000),
  // 0 switches event-loop shedding off.
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  RATE_LIMIT_PER_CLIENT: perMinute(6_000),
  RATE_LIMIT_PER_ADDRESS: perMinute(12_000),
  RATE_LIMIT_TOKEN_PER_ADDRESS: perMinute(60),
  AUTH_MAX_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
  AUTH_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  TRUST_PROXY: z.string().optional().superRefine(trustedProxiesProblems),
  AUDIT_UNUSUAL_PATIENTS_PER_DAY: z.coerce.number().int().min(1).default(1_000),
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  WEBHOOK_TIMEOUT_MS: milliseconds(10_000, 60_000),
  WEBHOOK_RETRY_BASE_MS: milliseconds(30_000, 3_600_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  RECALL_HORIZON_DAYS: z.coerce.number().int().min(1).max(3_650).default(180),
  // No default here: it depends on DATABASE_URL (see workerCount).
  WORKERS: z.coerce.number().int().min(1).max(256).optional(),
});

export interface Config {
  nodeEnv: z.infer<typeof environment>['NODE_ENV'];
  host: string;
  port: number;
  publicUrl: string;
  logLevel: z.infer<typeof environment>['LOG_LEVEL'];
  database: DatabaseOptions;
  patientKeySecret: string | null;
  auth: {
    signingKey: string | null;
    accessTokenTtlSeconds: number;
    adminClientId: string;
    adminClientSecret: string | null;
  };
  demoData: boolean;
  shutdownGraceMs: number;
  aggregateIntervalMs: number;
  http: {
    /** Receiving a request, then answering it: the handler's own time. */
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    bodyTimeoutMs: number;
    maxEventLoopDelayMs: number;
    /** Fastify's trustProxy: which proxies' X-Forwarded-For names the source address. */
    trustProxy: string | boolean;
  };
  rateLimits: { perClient: number; perAddress: number; tokenPerAddress: number; maxAuthFailures: number; lockoutSeconds: number };
  audit: { unusualPatientsPerDay: number };
  idempotencyKeyTtlHours: number;
  /** A separate listener for GET /metrics without authentication; null: /metrics on the API port, for administrators. */
  metricsPort: number | null;
  webhooks: {
    /** One delivery attempt: resolving, connecting, sending and reading the answer. */
    timeoutMs: number;
    /** The first retry's back-off; each further one doubles it (with full jitter), up to six hours. */
    retryBaseMs: number;
    /** Attempts before a delivery is marked failed. */
    maxAttempts: number;
    pollIntervalMs: number;
    /** Delivered and failed deliveries are deleted this many days after they were queued; pending ones never. */
    retentionDays: number;
  };
  recalls: {
    /** Recalls reach the recognitions made within this many days before the change. */
    horizonDays: number;
  };
  /** Processes serving the port; each has its own pool of `database.poolSize` connections. */
  workers: number;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = emptyAsUnset(env);
  const parsed = environment.safeParse(raw);
  // Cross-setting checks run on the raw values too, so one start lists every problem at once.
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)),
    ...crossSettingProblems(raw),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://${host}:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL ?? null,
      poolSize: e.DATABASE_POOL_SIZE,
      dataDir: e.DATA_DIR,
      limits: {
        connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
        acquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
        statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
        lockTimeoutMs: e.DATABASE_LOCK_TIMEOUT_MS,
        maxWaiting: e.DATABASE_MAX_WAITING,
      },
    },
    patientKeySecret: e.PATIENT_KEY_SECRET ?? null,
    auth: {
      signingKey: e.AUTH_SIGNING_KEY ?? null,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
      adminClientId: e.ADMIN_CLIENT_ID,
      adminClientSecret: e.ADMIN_CLIENT_SECRET ?? null,
    },
    demoData: demoDataWanted(e.DEMO_DATA, e.DATABASE_URL),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    aggregateIntervalMs: e.AGGREGATE_INTERVAL_MS,
    http: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.REQUEST_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: e.REQUEST_BODY_TIMEOUT_MS,
      maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS,
      trustProxy: e.TRUST_PROXY === undefined || e.TRUST_PROXY === 'false' ? false : e.TRUST_PROXY === 'true' ? true : e.TRUST_PROXY,
    },
    rateLimits: {
      perClient: e.RATE_LIMIT_PER_CLIENT,
      perAddress: e.RATE_LIMIT_PER_ADDRESS,
      tokenPerAddress: e.RATE_LIMIT_TOKEN_PER_ADDRESS,
      maxAuthFailures: e.AUTH_MAX_FAILURES,
      lockoutSeconds: e.AUTH_LOCKOUT_SECONDS,
    },
    audit: { unusualPatientsPerDay: e.AUDIT_UNUSUAL_PATIENTS_PER_DAY },
    idempotencyKeyTtlHours: e.IDEMPOTENCY_KEY_TTL_HOURS,
    metricsPort: e.METRICS_PORT ?? null,
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
      retentionDays: e.WEBHOOK_RETENTION_DAYS,
    },
    recalls: { horizonDays: e.RECALL_HORIZON_DAYS },
    workers: e.WORKERS ?? (e.DATABASE_URL ? availableParallelism() : 1),
  };
}

/**
 * DEMO_DATA=auto loads the demo province into an empty registry at start. It defaults to auto only
 * on the embedded database (a try-out); with DATABASE_URL it defaults to off, because a PostgreSQL
 * deployment is presumed real and demo hospitals with published credentials must never appear in
 * production. An explicit DEMO_DATA wins either way.
 */
function demoDataWanted(setting: 'auto' | 'off' | undefined, databaseUrl: string | undefined): boolean {
  return (setting ?? (databaseUrl ? 'off' : 'auto')) === 'auto';
}

function crossSettingProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  if (raw.DATABASE_URL) {
    // A server database is shared and long-lived: its secrets must be set, never generated.
    if (!raw.PATIENT_KEY_SECRET) problems.push('PATIENT_KEY_SECRET: required when DATABASE_URL is set');
    if (!raw.AUTH_SIGNING_KEY) problems.push('AUTH_SIGNING_KEY: required when DATABASE_URL is set');
  }
  // The embedded database lives inside one process.
  if (!raw.DATABASE_URL && Number(raw.WORKERS ?? 1) > 1) problems.push('WORKERS: must be 1 on the embedded database (set DATABASE_URL)');
  // Node requires the headers to arrive before the whole request may have.
  if (Number(raw.REQUEST_HEADERS_TIMEOUT_MS ?? 10_000) > Number(raw.REQUEST_BODY_TIMEOUT_MS ?? 30_000)) {
    problems.push('REQUEST_HEADERS_TIMEOUT_MS: must not exceed REQUEST_BODY_TIMEOUT_MS');
  }
  if (raw.AUTH_SIGNING_KEY) {
    try {
      const jwk = JSON.parse(raw.AUTH_SIGNING_KEY) as { kty?: string; crv?: string; d?: string } | null;
      if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('not a private P-256 key');
    } catch {
      problems.push('AUTH_SIGNING_KEY: must be a private EC P-256 JWK (JSON) for ES256');
    }
  }
  return problems;
}

function emptyAsUnset(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined && kv[1] !== ''));
}

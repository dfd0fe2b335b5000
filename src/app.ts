import { randomUUID } from 'node:crypto';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import { dashboardRoutes } from './dashboard/plugin.ts';
import { trustedPublicKeys, type SigningKey } from './modules/auth/keys.ts';
import { authRoutes } from './modules/auth/routes.ts';
import { discoveryRoutes } from './modules/auth/discovery-routes.ts';
import { createTokenService } from './modules/auth/token-service.ts';
import { opsRoutes } from './modules/ops/routes.ts';
import { auditRoutes } from './modules/audit/routes.ts';
import { createAuditService } from './modules/audit/service.ts';
import { createAuditTrail } from './modules/audit/trail.ts';
import { resultRoutes } from './modules/results/routes.ts';
import { clientRoutes } from './modules/auth/client-routes.ts';
import { createClientService } from './modules/auth/client-service.ts';
import { registryRoutes } from './modules/registry/routes.ts';
import { createClientCache } from './modules/auth/client-cache.ts';
import { createCheckService } from './modules/recognition/check-service.ts';
import { createDecisionService } from './modules/recognition/decision-service.ts';
import { createRegistrySnapshots } from './modules/recognition/registry-snapshot.ts';
import { recognitionRoutes } from './modules/recognition/routes.ts';
import { settingsRoutes } from './modules/settings/routes.ts';
import { reportRoutes } from './modules/reports/routes.ts';
import { createReportService } from './modules/reports/service.ts';
import { createWhatIfService } from './modules/reports/what-if.ts';
import { createRegistryService } from './modules/registry/service.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import accessAudit from './plugins/access-audit.ts';
import { idempotencyPlugin } from './modules/idempotency/index.ts';
import authPlugin from './plugins/auth.ts';
import rateLimits from './plugins/rate-limits.ts';
import { createLockout } from './modules/auth/lockout.ts';
import { createSecretVerifier } from './modules/auth/secrets.ts';
import loadShedding from './plugins/load-shedding.ts';
import metricsPlugin from './plugins/metrics.ts';
import openapiPlugin from './plugins/openapi.ts';
import { clientErrorHandler, registerJsonParser, routerRefusals, registerNotFound, registerProblemHandlers } from './plugins/problem.ts';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: FastifyBaseLogger;
  clock: () => Date;
  keys: { signing: SigningKey; patientKeySecret: string };
  /** The registry the service counts into; made here when not given (the server shares it with a metrics-only listener). */
  metrics?: Metrics;
}

export const apiAudience = (publicUrl: string) => `${publicUrl}/v1`;

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the service. No side effects: no listening, no signals, no migrations. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database, logger, clock, keys } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const audit = createAuditTrail(metrics);
  const db = database.db;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 1024 * 1024,
    // Every wait is bounded: receiving the request (headers, then the whole body), then answering it.
    requestTimeout: config.http.bodyTimeoutMs,
    // Node checks those two timeouts only this often (30 s by default).
    http: { headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    clientErrorHandler,
    handlerTimeout: config.http.requestTimeoutMs,
    // Shutdown's 503 is answered as problem+json by the load-shedding plugin instead.
    return503OnClosing: false,
    trustProxy: config.http.trustProxy,
    requestIdHeader: false,
    // Echo a caller's well-formed x-request-id so their logs and ours join up; otherwise mint one.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200, ...routerRefusals },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerProblemHandlers(app);
  registerJsonParser(app);
  registerNotFound(app);

  await app.register(metricsPlugin, { metrics, database, clock });
  // Security headers on every answer (the dashboard and Swagger UI set their own content security policies).
  await app.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], upgradeInsecureRequests: null } } });
  await app.register(loadShedding, { maxEventLoopDelayMs: config.http.maxEventLoopDelayMs, onShed: (reason) => metrics.shed.inc({ reason }) });

  const issuer = config.publicUrl;
  const clients = createClientCache(db, database.listen);
  await app.register(openapiPlugin);
  await app.register(authPlugin, {
    db,
    clock,
    issuer,
    audience: apiAudience(issuer),
    tokenTtlSeconds: config.auth.accessTokenTtlSeconds,
    clients,
  });

  const { perClient, perAddress, tokenPerAddress } = config.rateLimits;
  await app.register(rateLimits, { perClient, perAddress, tokenPerAddress, onLimited: (limit) => metrics.rateLimited.inc({ limit }) });
  await app.register(idempotencyPlugin, { db, clock, ttlHours: config.idempotencyKeyTtlHours });
  await app.register(accessAudit, { db, clock, audit, patientKeySecret: keys.patientKeySecret });

  const tokens = createTokenService({
    db,
    clock,
    signingKey: keys.signing,
    issuer,
    audience: apiAudience(issuer),
    tokenEndpoint: `${issuer}/v1/oauth/token`,
    ttlSeconds: config.auth.accessTokenTtlSeconds,
    lockout: createLockout({ maxFailures: config.rateLimits.maxAuthFailures, lockoutSeconds: config.rateLimits.lockoutSeconds, clock }),
    verifySecret: createSecretVerifier({ maxConcurrent: 4, maxWaiting: 64 }),
    audit,
  });
  await app.register(authRoutes, {
    tokens,
    publicKeys: () => trustedPublicKeys(db, clock(), config.auth.accessTokenTtlSeconds),
  });
  await app.register(discoveryRoutes, { issuer });
  await app.register(opsRoutes, { database, metrics });
  await app.register(resultRoutes, { db, clock, patientKeySecret: keys.patientKeySecret, audit });
  await app.register(auditRoutes, {
    audit: createAuditService({ db, clock, patientKeySecret: keys.patientKeySecret, audit, unusualPatientsPerDay: config.audit.unusualPatientsPerDay }),
  });
  await app.register(clientRoutes, { clients: createClientService({ db, clock, onChange: clients.forget }) });
  await app.register(registryRoutes, { registry: createRegistryService({ db, clock }) });
  await app.register(settingsRoutes, { db, clock });
  await app.register(recognitionRoutes, {
    checks: createCheckService({ db, prepared: database.prepared, registry: createRegistrySnapshots(db), clock, patientKeySecret: keys.patientKeySecret, audit }),
    decisions: createDecisionService({ db, clock, audit }),
  });
  await app.register(reportRoutes, { reports: createReportService({ db, clock }), whatIf: createWhatIfService({ db }) });
  await app.register(dashboardRoutes);
  return app;
}

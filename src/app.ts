import { randomUUID } from 'node:crypto';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import { dashboardRoutes } from './dashboard/plugin.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { auditRoutes } from './modules/audit/index.ts';
import { authRoutes, clientRoutes, discoveryRoutes, type SigningKey } from './modules/auth/index.ts';
import { cdsHooksRoutes } from './modules/cds-hooks/index.ts';
import { fhirRoutes } from './modules/fhir/index.ts';
import { idempotencyPlugin } from './modules/idempotency/index.ts';
import { opsRoutes } from './modules/ops/index.ts';
import { recognitionRoutes } from './modules/recognition/index.ts';
import { registryRoutes } from './modules/registry/index.ts';
import { recallReportRoutes, recallRoutes } from './modules/recalls/index.ts';
import { reportRoutes } from './modules/reports/index.ts';
import { resultRoutes } from './modules/results/index.ts';
import { settingsRoutes } from './modules/settings/index.ts';
import { webhookRoutes } from './modules/webhooks/index.ts';
import accessAudit from './plugins/access-audit.ts';
import authPlugin from './plugins/auth.ts';
import handlerTimeout from './plugins/handler-timeout.ts';
import loadShedding from './plugins/load-shedding.ts';
import metricsPlugin from './plugins/metrics.ts';
import openapiPlugin from './plugins/openapi.ts';
import { registerJsonParser } from './plugins/json-parser.ts';
import { clientErrorHandler, registerNotFound, registerProblemHandlers, routerRefusals } from './plugins/problem.ts';
import rateLimits from './plugins/rate-limits.ts';
import securityHeaders from './plugins/security-headers.ts';
import { apiAudience, createServices } from './services.ts';

export { apiAudience } from './services.ts';

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: FastifyBaseLogger;
  clock: () => Date;
  keys: { signing: SigningKey; patientKeySecret: string };
  /** The registry the service counts into; made here when not given (the server shares it with a metrics-only listener). */
  metrics?: Metrics;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the service. No side effects: no listening, no signals, no migrations. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database, logger, clock, keys } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const services = createServices({ config, database, clock, keys, metrics });
  const db = database.db;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: 1024 * 1024,
    // Every wait is bounded: receiving the request (headers, then the whole body) here, then
    // answering it (the handler-timeout plugin).
    requestTimeout: config.http.bodyTimeoutMs,
    // Node checks those two timeouts only this often (30 s by default).
    http: { headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1_000 },
    clientErrorHandler,
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
  await app.register(securityHeaders, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
  });
  await app.register(handlerTimeout, { timeoutMs: config.http.requestTimeoutMs });
  await app.register(loadShedding, {
    maxEventLoopDelayMs: config.http.maxEventLoopDelayMs,
    onShed: (reason) => metrics.shed.inc({ reason }),
  });

  const issuer = config.publicUrl;
  await app.register(openapiPlugin);
  await app.register(authPlugin, {
    db,
    clock,
    issuer,
    audience: apiAudience(issuer),
    tokenTtlSeconds: config.auth.accessTokenTtlSeconds,
    clients: services.clients,
  });
  const { perClient, perAddress, tokenPerAddress } = config.rateLimits;
  await app.register(rateLimits, { perClient, perAddress, tokenPerAddress, onLimited: (limit) => metrics.rateLimited.inc({ limit }) });
  await app.register(idempotencyPlugin, { db, clock, ttlHours: config.idempotencyKeyTtlHours });
  await app.register(accessAudit, { db, clock, audit: services.audit, patientKeySecret: keys.patientKeySecret });

  // The API, module by module.
  await app.register(authRoutes, { tokens: services.tokens, publicKeys: services.publicKeys });
  await app.register(discoveryRoutes, { issuer });
  await app.register(opsRoutes, { database, metrics });
  await app.register(resultRoutes, { results: services.results });
  await app.register(auditRoutes, { audit: services.auditLog });
  await app.register(clientRoutes, { clients: services.clientAdmin });
  await app.register(registryRoutes, { registry: services.registry });
  await app.register(settingsRoutes, { settings: services.settings });
  await app.register(recognitionRoutes, { checks: services.checks, decisions: services.decisions });
  await app.register(reportRoutes, { reports: services.reports, whatIf: services.whatIf });
  await app.register(recallRoutes, { recalls: services.recalls });
  await app.register(recallReportRoutes, { recallReports: services.recallReports });
  await app.register(webhookRoutes, { webhooks: services.webhooks });
  await app.register(cdsHooksRoutes, { cdsHooks: services.cdsHooks });
  await app.register(fhirRoutes, { fhir: services.fhir });
  await app.register(dashboardRoutes);
  return app;
}

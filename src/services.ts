import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import type { Metrics } from './metrics.ts';
import { createAuditService, createAuditTrail } from './modules/audit/index.ts';
import {
  createClientCache,
  createClientService,
  createLockout,
  createSecretVerifier,
  createTokenService,
  trustedPublicKeys,
  type SigningKey,
} from './modules/auth/index.ts';
import { createCdsHooksService } from './modules/cds-hooks/index.ts';
import { createFhirService } from './modules/fhir/index.ts';
import { createRecallReportService, createRecallService } from './modules/recalls/index.ts';
import { createCheckService, createDecisionService, recognisedBy } from './modules/recognition/index.ts';
import { createRegistryService, createRegistrySnapshots } from './modules/registry/index.ts';
import { createReportService, createWhatIfService, recountRollupValues } from './modules/reports/index.ts';
import { createResultService } from './modules/results/index.ts';
import { createSettingsService } from './modules/settings/index.ts';
import { createWebhookService, targetPolicy } from './modules/webhooks/index.ts';

export interface ServiceDeps {
  config: Config;
  database: DatabaseHandle;
  clock: () => Date;
  keys: { signing: SigningKey; patientKeySecret: string };
  metrics: Metrics;
}

export const apiAudience = (publicUrl: string) => `${publicUrl}/v1`;

/**
 * The composition root: every service, built from the app's dependencies and from each other. Each
 * module's service gets only what it needs; the routes receive the services.
 */
export function createServices({ config, database, clock, keys, metrics }: ServiceDeps) {
  const db = database.db;
  const issuer = config.publicUrl;
  const audit = createAuditTrail(metrics);
  const registry = createRegistrySnapshots(db);
  const clients = createClientCache(db, database.listen);
  const { patientKeySecret } = keys;
  const recalls = createRecallService({ db, clock, horizonDays: config.recalls.horizonDays });
  const results = createResultService({ db, clock, patientKeySecret, audit, onChange: recalls.onResultChanges, recognisedBy });
  const checks = createCheckService({
    db,
    prepared: database.prepared,
    registry,
    clock,
    patientKeySecret,
    audit,
    sharedStatement: (statement, count) => metrics.sharedStatementChecks.observe({ statement }, count),
    citus: database.citus,
  });
  const decisions = createDecisionService({ db, clock, audit, registry });
  return {
    recalls,
    audit,
    clients,
    tokens: createTokenService({
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
    }),
    publicKeys: () => trustedPublicKeys(db, clock(), config.auth.accessTokenTtlSeconds),
    clientAdmin: createClientService({ db, clock, onChange: clients.forget }),
    registry: createRegistryService({ db, clock, onCertification: recalls.onCertificationEvent, onRegroup: recountRollupValues }),
    settings: createSettingsService({ db, clock }),
    results,
    fhir: createFhirService({ results, snapshots: registry, issuer }),
    auditLog: createAuditService({ db, clock, patientKeySecret, audit, unusualPatientsPerDay: config.audit.unusualPatientsPerDay }),
    checks,
    decisions,
    cdsHooks: createCdsHooksService({ db, clock, clients, registry, checks, decisions, publicUrl: issuer, patientKeySecret }),
    reports: createReportService({ db, clock }),
    recallReports: createRecallReportService({ db, clock }),
    whatIf: createWhatIfService({ db, registry }),
    webhooks: createWebhookService({ db, clock, patientKeySecret, targets: targetPolicy(config) }),
  };
}

export type Services = ReturnType<typeof createServices>;

/** The audit trail of patient-data access and client authentication: owns audit_events. */
export { auditChecksFrom, auditCheckValues } from './repository.ts';
export { auditRoutes } from './routes.ts';
export { createAuditService, type AuditService } from './service.ts';
export { createAuditTrail, type AuditAction, type AuditEntry, type AuditOutcome, type AuditTrail, type RequestOrigin } from './trail.ts';

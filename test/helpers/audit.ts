import type { Database } from '../../src/db/database.ts';

/**
 * The audit event of one request, by its request id. A refused attempt is recorded once its answer
 * is sent, so this waits (briefly) for the row to appear.
 */
export async function auditedRequest(db: Database, requestId: string) {
  for (let tries = 0; tries < 100; tries += 1) {
    const row = await db.selectFrom('audit_events').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    if (row) return row;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no audit event for request ${requestId}`);
}

/** The patient key a check was made for (what its audit events are recorded under). */
export async function patientOfCheck(db: Database, checkId: string): Promise<string> {
  const { patient_key } = await db
    .selectFrom('recognition_checks')
    .select('patient_key')
    .where('id', '=', checkId)
    .executeTakeFirstOrThrow();
  return patient_key;
}

import pino, { stdSerializers, type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials, tokens and patient identifiers are redacted wherever they
 * appear in a logged object; request bodies are never logged.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.client_secret',
  '*.clientSecret',
  '*.client_assertion',
  '*.access_token',
  '*.secret',
  '*.password',
  '*.idNumber',
  '*.patient.idNumber',
  'patient.idNumber',
  'body',
  '*.body',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      serializers: {
        err: serializeError,
        req: (req: { id: string; method: string; url: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          // Query strings can carry anything a caller typed; keep only the path.
          url: req.url.split('?')[0],
          remoteAddress: req.ip,
        }),
      },
    },
    destination,
  );
}

/** What a PostgreSQL error may say about itself in a log: where and which rule, never the values. */
const databaseErrorFields = ['code', 'severity', 'routine', 'schema', 'table', 'column', 'constraint', 'dataType'] as const;

/**
 * Errors as pino's standard serializer writes them, except that anything PostgreSQL reports about a
 * statement's values is dropped: a database error's detail, hint, where and internal query, and
 * its message beyond the first colon (e.g. 'invalid input syntax for type json: "<the value>"'),
 * with quoted text replaced. Clinical text or an identifier that reached a statement thus never
 * reaches the logs through its error. Causes are serialized the same way.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const isDatabaseError =
    typeof (error as { severity?: unknown }).severity === 'string' && typeof (error as { code?: unknown }).code === 'string';
  if (!isDatabaseError) {
    const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
    delete serialized.cause;
    if (error.cause !== undefined && depth < 3) serialized.cause = serializeError(error.cause, depth + 1);
    return serialized;
  }
  const fields = Object.fromEntries(
    databaseErrorFields.flatMap((f) =>
      (error as unknown as Record<string, unknown>)[f] === undefined ? [] : [[f, (error as unknown as Record<string, unknown>)[f]]],
    ),
  );
  return {
    type: 'DatabaseError',
    message: error.message.split(':')[0].replace(/"[^"]*"/g, '"…"'),
    ...fields,
    stack: (error.stack ?? '').split('\n').slice(1).join('\n'),
  };
}

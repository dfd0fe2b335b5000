import pino, { type DestinationStream, type Logger } from 'pino';

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

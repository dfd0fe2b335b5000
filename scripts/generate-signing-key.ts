import { generateSigningJwk } from '../src/modules/auth/keys.ts';

/**
 * `npm run keygen`: prints a fresh private ES256 JWK, one line, for AUTH_SIGNING_KEY. Rotating it is
 * safe: the previous key stays trusted until the tokens it signed have expired.
 */
try {
  process.stdout.write(`${JSON.stringify(await generateSigningJwk())}\n`);
} catch (error) {
  process.stderr.write(`Key generation failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

import { generateSigningJwk } from '../src/modules/auth/index.ts';
import { run } from './run.ts';

/**
 * `npm run keygen`: prints a fresh private ES256 JWK, one line, for AUTH_SIGNING_KEY. Rotating it is
 * safe: the previous key stays trusted until the tokens it signed have expired.
 */
await run('Key generation failed', async () => {
  process.stdout.write(`${JSON.stringify(await generateSigningJwk())}\n`);
});

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { loadConfig } from '../src/config.ts';
import { cdsServices } from '../src/modules/cds-hooks/index.ts';
import { residentIdSystem } from '../src/modules/patients/index.ts';
import { itemCodeSystem } from '../src/modules/registry/index.ts';
import { run, UsageError } from './run.ts';

const usage = `Try the CDS Hooks services as a CDS client (an EHR) would:

  npm run -s cds-hooks:try -- keys [--out cds-client-key.json] [--alg ES384]
      Makes the client's key pair: writes the private JWK to --out (never overwritten) and prints the
      public JWKS to register with POST /v1/hospitals/{id}/clients.
  npm run -s cds-hooks:try -- jwt --client <clientId or its CDS issuer> [--key cds-client-key.json] [--service <id>] [--feedback] [--base <url>]
      Prints a JWT for one call: iss = --client, aud = <base>/cds-services/<service>[/feedback],
      a fresh jti, five minutes to live. --base defaults to PUBLIC_URL (as the server reads it).
  npm run -s cds-hooks:try -- request --patient <resident ID> --item <catalogue code> [--hook order-sign|order-select]
      Prints a CDS Hooks request with one draft ServiceRequest for the item and the prefetched Patient.

Services: ${cdsServices.map((s) => `${s.id} (${s.hook})`).join(', ')}`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'cds-client-key.json' },
    key: { type: 'string', default: 'cds-client-key.json' },
    alg: { type: 'string', default: 'ES384' },
    client: { type: 'string' },
    service: { type: 'string', default: 'mutual-recognition-order-sign' },
    feedback: { type: 'boolean', default: false },
    base: { type: 'string' },
    patient: { type: 'string' },
    item: { type: 'string' },
    hook: { type: 'string', default: 'order-sign' },
  },
});

async function keys(): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(values.alg, { extractable: true });
  const kid = randomUUID();
  const meta = { kid, alg: values.alg, use: 'sig' };
  // 'wx': the private key is written once, never over an existing file; only its owner may read it.
  await writeFile(values.out, `${JSON.stringify({ ...(await exportJWK(privateKey)), ...meta })}\n`, { flag: 'wx', mode: 0o600 });
  process.stdout.write(`${JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), ...meta }] })}\n`);
}

async function jwt(): Promise<void> {
  if (!values.client) throw new UsageError('jwt needs --client <clientId or its CDS issuer>');
  if (!cdsServices.some((s) => s.id === values.service)) throw new UsageError(`no CDS Service ${values.service}`);
  const text = await readFile(values.key, 'utf8').catch(() => {
    throw new UsageError(`cannot read the private key ${values.key}: make it with the keys command`);
  });
  const jwk = JSON.parse(text) as JWK & { kid: string; alg: string };
  const base = (values.base ?? loadConfig().publicUrl).replace(/\/$/, '');
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, typ: 'JWT', kid: jwk.kid })
    .setIssuer(values.client)
    .setAudience(`${base}/cds-services/${values.service}${values.feedback ? '/feedback' : ''}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(await importJWK(jwk, jwk.alg));
  process.stdout.write(`${token}\n`);
}

function request(): void {
  if (!values.patient || !values.item) throw new UsageError('request needs --patient <resident ID> and --item <catalogue code>');
  if (values.hook !== 'order-sign' && values.hook !== 'order-select') throw new UsageError('--hook is order-sign or order-select');
  const order = {
    resourceType: 'ServiceRequest',
    id: 'order-1',
    status: 'draft',
    intent: 'order',
    code: { coding: [{ system: itemCodeSystem, code: values.item }] },
    subject: { reference: 'Patient/example' },
  };
  const body = {
    hook: values.hook,
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/dr-example',
      patientId: 'example',
      ...(values.hook === 'order-select' ? { selections: ['ServiceRequest/order-1'] } : {}),
      draftOrders: { resourceType: 'Bundle', entry: [{ resource: order }] },
    },
    prefetch: { patient: { resourceType: 'Patient', id: 'example', identifier: [{ system: residentIdSystem, value: values.patient }] } },
  };
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

/** `npm run cds-hooks:try`: keys, JWTs and a request for trying the CDS Hooks services with curl. */
await run('cds-hooks:try failed', async () => {
  const command = positionals[0];
  if (command === 'keys') return keys();
  if (command === 'jwt') return jwt();
  if (command === 'request') return request();
  throw new UsageError(`${command ? `unknown command ${command}\n\n` : ''}${usage}`);
});

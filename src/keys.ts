import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { Config } from './config.ts';
import { generateSigningJwk, importSigningKey, type SigningKey } from './modules/auth/index.ts';

export interface ServiceKeys {
  signing: SigningKey;
  patientKeySecret: string;
  /** The bootstrap administrator's secret, when one is configured or was generated. */
  adminClientSecret: string | null;
  /** True when the administrator's secret was generated here (not configured): only then is it shown. */
  adminClientSecretGenerated?: boolean;
}

interface StoredSecrets {
  signingJwk: JWK;
  patientKeySecret: string;
  adminClientSecret: string;
}

/**
 * The service's secrets. Configured values win. On the embedded database, missing ones are
 * generated once and kept (mode 0600) in DATA_DIR/secrets.json so that restarts keep tokens valid
 * and patient keys stable; with DATA_DIR=memory they live as long as the process.
 */
export async function resolveKeys(config: Config): Promise<ServiceKeys> {
  const stored = config.database.url ? null : await embeddedSecrets(config.database.dataDir);
  const signingJwk = config.auth.signingKey ? (JSON.parse(config.auth.signingKey) as JWK) : stored!.signingJwk;
  return {
    signing: await importSigningKey(signingJwk),
    patientKeySecret: config.patientKeySecret ?? stored!.patientKeySecret,
    adminClientSecret: config.auth.adminClientSecret ?? stored?.adminClientSecret ?? null,
    adminClientSecretGenerated: !config.auth.adminClientSecret && Boolean(stored?.adminClientSecret),
  };
}

async function embeddedSecrets(dataDir: string): Promise<StoredSecrets> {
  const file = join(dataDir, 'secrets.json');
  if (dataDir !== 'memory' && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StoredSecrets;
  const secrets: StoredSecrets = {
    signingJwk: await generateSigningJwk(),
    patientKeySecret: randomBytes(32).toString('base64url'),
    adminClientSecret: randomBytes(18).toString('base64url'),
  };
  if (dataDir !== 'memory') {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

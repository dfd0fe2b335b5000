import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Endpoint signing secrets (Standard Webhooks): `whsec_` and the base64 of 32 random bytes, shown to
 * the hospital once. At rest they are sealed with AES-256-GCM under a key derived from the service's
 * patient-key secret (HKDF-SHA256 with a label of its own, so the two keys are unrelated), because
 * the service itself must sign with them: a hash would not do.
 */
const prefix = 'whsec_';
const sealVersion = 'v1';
const keyLabel = 'mutual-recognition-exchange webhook endpoint secrets v1';

export function generateSigningSecret(): string {
  return `${prefix}${randomBytes(32).toString('base64')}`;
}

/** The key bytes a signing secret stands for: the base64 after `whsec_`. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(prefix)) throw new Error('not a webhook signing secret');
  return Buffer.from(secret.slice(prefix.length), 'base64');
}

/** One Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`. */
export function signature(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${webhookId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface SecretBox {
  seal(secret: string): string;
  open(sealed: string): string;
}

export function createSecretBox(patientKeySecret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', patientKeySecret, Buffer.alloc(0), keyLabel, 32));
  return {
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return [sealVersion, iv, sealed, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, data, tag] = sealed.split('.');
      if (version !== sealVersion || tag === undefined) throw new Error('not a sealed webhook secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

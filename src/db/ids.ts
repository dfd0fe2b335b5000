import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time, as node:crypto's randomUUID does: one draw a key costs
// more than the rest of making it.
const entropy = Buffer.alloc(16 * 256);
let drawn = entropy.length;
const key = Buffer.alloc(16);

/**
 * A version 7 UUID (RFC 9562): the Unix time in milliseconds in its first 48 bits, then random bits,
 * as the database's `uuid_v7()` makes them, so that new keys append to their index. Made by the
 * service where a statement must name its row's key (a write Citus routes by it).
 */
export function uuidV7(now = Date.now()): string {
  if (drawn === entropy.length) {
    randomFillSync(entropy);
    drawn = 0;
  }
  entropy.copy(key, 0, drawn, (drawn += 16));
  key.writeUIntBE(now, 0, 6);
  key[6] = (key[6] & 0x0f) | 0x70;
  key[8] = (key[8] & 0x3f) | 0x80;
  return uuidText(key);
}

/**
 * Below every version 7 UUID made at or after `at` and above every one made before it (PostgreSQL
 * orders uuids byte by byte): "made before `at`" as a range of a UUIDv7 key.
 */
export function uuidV7Bound(at: Date): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(at.getTime(), 0, 6);
  return uuidText(bytes);
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

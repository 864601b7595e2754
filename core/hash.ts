// SHA-256 and HKDF-SHA256 through node:crypto (OpenSSL), which is several times faster than
// pure JS for the kilobyte-sized inputs the envelope hashes; hash.test.ts checks them against noble.
import { createHash, hkdfSync } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

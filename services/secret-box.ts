// Symmetric boxes for data the gateway keeps on behalf of a user: nonce (12) || ChaCha20-
// Poly1305 ciphertext, with a context string bound as AAD so a box cannot be moved to
// another user or purpose. Keys for distinct purposes are derived from one mailbox key.
import { aeadDecrypt, aeadEncrypt, hkdfSha256, utf8, isLnmpError, type Rng } from '../core/index.js';
import { createHmac } from 'node:crypto';
import { ServiceError } from './errors.js';

const NONCE = 12;

export function boxSeal(key: Uint8Array, plaintext: Uint8Array, context: string, rng: Rng): Uint8Array {
  const nonce = rng(NONCE);
  const ct = aeadEncrypt('ChaCha20-Poly1305', key, nonce, plaintext, utf8(context));
  const out = new Uint8Array(NONCE + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE);
  return out;
}

/** Opens a box; a modified box, wrong key or wrong context gives ServiceError `integrity`. */
export function boxOpen(key: Uint8Array, box: Uint8Array, context: string): Uint8Array {
  if (box.length < NONCE + 16) throw new ServiceError('integrity', `${context}: box too short`);
  try {
    return aeadDecrypt('ChaCha20-Poly1305', key, box.subarray(0, NONCE), box.subarray(NONCE), utf8(context));
  } catch (cause) {
    if (isLnmpError(cause, 'tampered')) throw new ServiceError('integrity', `${context}: authentication failed`, { cause });
    throw cause;
  }
}

/** A purpose-specific subkey of a user's mailbox key. */
export function subkey(mailboxKey: Uint8Array, purpose: string): Uint8Array {
  return hkdfSha256(mailboxKey, new Uint8Array(0), utf8(`lnmp-gateway/v1/${purpose}`), 32);
}

export function keyedHash(key: Uint8Array, data: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data, 'utf8').digest());
}

// Multi-recipient sealing. The plaintext is padded and encrypted once under a random content
// key; the content key is wrapped for each recipient with a per-payload ephemeral key:
//   shared = x(e·R), kek = HKDF-SHA256(ikm = shared, salt = E || R, info = "lnmp/v1/key-wrap"),
//   wrapped = AEAD(kek, nonce = 0^12, contentKey).
// Each kek is used once (e is fresh), so the fixed nonce is safe. The caller's AAD binds the
// relay-visible header to the content.
import { z } from 'zod';
import { LnmpError } from './errors.js';
import { ensureBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from './bytes.js';
import { hkdfSha256 } from './hash.js';
import { aeadDecrypt, aeadEncrypt, AEAD_ALGORITHMS, AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, assertAlgorithm, type AeadAlgorithm } from './aead.js';
import { assertPrivateKey, ecdhX, isValidPrivateKey, parsePublicKey, publicKeyOf } from './secp256k1.js';
import { pad, unpad } from './padding.js';
import { Limits } from './constants.js';
import type { Rng } from './keys.js';
import { hex32, base64String, issuesText } from './schema-helpers.js';

export const KEY_WRAP_INFO = 'lnmp/v1/key-wrap';
const KEY_WRAP_INFO_BYTES = utf8(KEY_WRAP_INFO);
const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);
const WRAPPED_KEY_BYTES = AEAD_KEY_BYTES + AEAD_TAG_BYTES;

export const WrappedKeySchema = z.strictObject({
  to: hex32,
  key: base64String(64),
});

export const SealedPayloadSchema = z.strictObject({
  algorithm: z.enum(AEAD_ALGORITHMS),
  nonce: z.string().regex(/^[0-9a-f]{24}$/, 'expected 12 bytes of lowercase hex'),
  ciphertext: base64String(Math.ceil((Limits.MAX_CONTENT_BYTES * 1.13 + 64) / 3) * 4),
  ephemeralPubKey: hex32,
  keys: z.array(WrappedKeySchema).min(1).max(Limits.MAX_RECIPIENTS + 1),
});
export type SealedPayload = z.infer<typeof SealedPayloadSchema>;

export interface SealOptions {
  algorithm?: AeadAlgorithm;
  /** Additional authenticated data: bound to the ciphertext, not stored in the payload. */
  aad?: Uint8Array;
}

function keyEncryptionKey(shared: Uint8Array, ephemeralPub: Uint8Array, recipientPub: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPub, 0);
  salt.set(recipientPub, 32);
  return hkdfSha256(shared, salt, KEY_WRAP_INFO_BYTES, AEAD_KEY_BYTES);
}

/**
 * Seals `plaintext` to every key in `recipients` (x-only hex; duplicates are sealed once).
 * Uses rng for the content key, the nonce and the ephemeral key.
 */
export function seal(plaintext: Uint8Array, recipients: readonly string[], rng: Rng, opts: SealOptions = {}): SealedPayload {
  ensureBytes(plaintext, undefined, 'plaintext');
  if (plaintext.length > Limits.MAX_CONTENT_BYTES) throw new LnmpError('oversize', `plaintext exceeds ${Limits.MAX_CONTENT_BYTES} bytes`);
  const unique = [...new Set(recipients.map((r) => r.toLowerCase()))];
  if (unique.length === 0) throw new LnmpError('invalid_length', 'at least one recipient is required');
  if (unique.length > Limits.MAX_RECIPIENTS + 1) throw new LnmpError('oversize', `more than ${Limits.MAX_RECIPIENTS + 1} recipients`);
  const recipientKeys = unique.map((r) => parsePublicKey(r, 'recipient key'));
  const algorithm = assertAlgorithm(opts.algorithm ?? 'ChaCha20-Poly1305');

  const contentKey = ensureBytes(rng(AEAD_KEY_BYTES), AEAD_KEY_BYTES, 'rng output');
  const nonce = ensureBytes(rng(AEAD_NONCE_BYTES), AEAD_NONCE_BYTES, 'rng output');
  let ephemeralSecret = ensureBytes(rng(32), 32, 'rng output');
  // A random 32-byte string is outside [1, n-1] with probability ~2^-128; draw again then.
  for (let i = 0; i < 4 && !isValidPrivateKey(ephemeralSecret); i++) ephemeralSecret = rng(32);
  const ephemeralPub = publicKeyOf(ephemeralSecret);

  const ciphertext = aeadEncrypt(algorithm, contentKey, nonce, pad(plaintext), opts.aad);
  const keys = recipientKeys.map((rk, i) => {
    const kek = keyEncryptionKey(ecdhX(ephemeralSecret, rk), ephemeralPub, rk);
    return { to: unique[i]!, key: toBase64(aeadEncrypt(algorithm, kek, ZERO_NONCE, contentKey)) };
  });
  ephemeralSecret.fill(0);
  contentKey.fill(0);
  return { algorithm, nonce: toHex(nonce), ciphertext: toBase64(ciphertext), ephemeralPubKey: toHex(ephemeralPub), keys };
}

/**
 * Opens a sealed payload with the private key of one of its recipients. Errors:
 * malformed (structure), unknown_algorithm, not_addressed (no entry for this key),
 * tampered (any bit of the wrapped key, ciphertext, nonce or AAD changed).
 */
export function open(payload: unknown, privateKey: Uint8Array, opts: { aad?: Uint8Array } = {}): Uint8Array {
  const p = parseSealedPayload(payload);
  const sk = assertPrivateKey(privateKey);
  const myPub = publicKeyOf(sk);
  const myHex = toHex(myPub);
  const entry = p.keys.find((k) => k.to === myHex);
  if (!entry) throw new LnmpError('not_addressed', 'no wrapped key for this public key');
  const ephemeralPub = parsePublicKey(p.ephemeralPubKey, 'ephemeral key');
  const wrapped = fromBase64(entry.key, 'wrapped key');
  if (wrapped.length !== WRAPPED_KEY_BYTES) throw new LnmpError('malformed', `wrapped key must be ${WRAPPED_KEY_BYTES} bytes`);
  const kek = keyEncryptionKey(ecdhX(sk, ephemeralPub), ephemeralPub, myPub);
  const contentKey = aeadDecrypt(p.algorithm, kek, ZERO_NONCE, wrapped);
  const padded = aeadDecrypt(p.algorithm, contentKey, fromHex(p.nonce, AEAD_NONCE_BYTES, 'nonce'), fromBase64(p.ciphertext, 'ciphertext'), opts.aad);
  return unpad(padded);
}

/** Validates structure, mapping schema failures to stable codes. */
export function parseSealedPayload(payload: unknown): SealedPayload {
  if (payload !== null && typeof payload === 'object' && 'algorithm' in payload) {
    const alg = (payload as { algorithm: unknown }).algorithm;
    if (!(AEAD_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new LnmpError('unknown_algorithm', `unsupported algorithm ${JSON.stringify(alg)}`);
    }
  }
  const r = SealedPayloadSchema.safeParse(payload);
  if (!r.success) throw new LnmpError('malformed', issuesText(r.error));
  const seen = new Set<string>();
  for (const k of r.data.keys) {
    if (seen.has(k.to)) throw new LnmpError('malformed', `duplicate wrapped key for ${k.to}`);
    seen.add(k.to);
  }
  return r.data;
}

// The LNMP seal/open construction written with noble's pure-JS primitives only. It is the
// baseline the core benchmark compares against, and the bench checks before timing that it
// produces byte-identical payloads to core/seal.ts for the same random inputs.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { pad, unpad, toBase64, fromBase64, toHex, fromHex, utf8, KEY_WRAP_INFO, type Rng, type SealedPayload } from '../core/index.js';

const INFO = utf8(KEY_WRAP_INFO);

function lift(xOnly: Uint8Array): Uint8Array {
  const p = new Uint8Array(33);
  p[0] = 2;
  p.set(xOnly, 1);
  return p;
}

function kek(shared: Uint8Array, e: Uint8Array, r: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(e, 0);
  salt.set(r, 32);
  return hkdf(sha256, shared, salt, INFO, 32);
}

export function nobleSeal(plaintext: Uint8Array, recipients: string[], rng: Rng, aad?: Uint8Array): SealedPayload {
  const contentKey = rng(32);
  const nonce = rng(12);
  const eph = rng(32);
  const ephPub = schnorr.getPublicKey(eph);
  const ciphertext = chacha20poly1305(contentKey, nonce, aad).encrypt(pad(plaintext));
  const keys = recipients.map((r) => {
    const rk = fromHex(r, 32);
    const shared = secp256k1.getSharedSecret(eph, lift(rk)).subarray(1);
    return { to: r, key: toBase64(chacha20poly1305(kek(shared, ephPub, rk), new Uint8Array(12)).encrypt(contentKey)) };
  });
  return { algorithm: 'ChaCha20-Poly1305', nonce: toHex(nonce), ciphertext: toBase64(ciphertext), ephemeralPubKey: toHex(ephPub), keys };
}

export function nobleOpen(p: SealedPayload, sk: Uint8Array, aad?: Uint8Array): Uint8Array {
  const me = schnorr.getPublicKey(sk);
  const entry = p.keys.find((k) => k.to === toHex(me));
  if (!entry) throw new Error('not addressed');
  const eph = fromHex(p.ephemeralPubKey, 32);
  const shared = secp256k1.getSharedSecret(sk, lift(eph)).subarray(1);
  const contentKey = chacha20poly1305(kek(shared, eph, me), new Uint8Array(12)).decrypt(fromBase64(entry.key));
  return unpad(chacha20poly1305(contentKey, fromHex(p.nonce, 12), aad).decrypt(fromBase64(p.ciphertext)));
}

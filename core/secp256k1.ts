// secp256k1 primitives: BIP340 Schnorr and x-only ECDH. The fast path is tiny-secp256k1
// (libsecp256k1 compiled to WASM, ~10x noble); noble is the reference, used where the fast
// path has no entry point (BIP340 messages that are not 32 bytes) and in the cross-check tests.
import * as ecc from 'tiny-secp256k1';
import { schnorr } from '@noble/curves/secp256k1.js';
import { LnmpError } from './errors.js';
import { ensureBytes, fromHex, toHex } from './bytes.js';

export type Bytes = Uint8Array;

/** Throws invalid_private_key unless `sk` is a 32-byte scalar in [1, n-1]. */
export function assertPrivateKey(sk: unknown, what = 'private key'): Bytes {
  const b = ensureBytes(sk, 32, what);
  if (!ecc.isPrivate(b)) throw new LnmpError('invalid_private_key', `${what} is not in [1, n-1]`);
  return b;
}

/** True when `sk` is a valid private key (what assertPrivateKey accepts). */
export function isValidPrivateKey(sk: unknown): sk is Bytes {
  return sk instanceof Uint8Array && sk.length === 32 && ecc.isPrivate(sk);
}

/** Parses a 32-byte x-only public key (hex, either case) and checks that it lies on the curve. */
export function parsePublicKey(hex: unknown, what = 'public key'): Bytes {
  const b = fromHex(hex, 32, what);
  if (!ecc.isXOnlyPoint(b)) throw new LnmpError('invalid_public_key', `${what} is not a point on secp256k1`);
  return b;
}

export function isValidPublicKeyHex(hex: unknown): boolean {
  return typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex) && ecc.isXOnlyPoint(Buffer.from(hex, 'hex'));
}

// Point multiplication costs ~0.1 ms, as much as half a signature, and the same key object is
// used for many operations, so public keys are memoised per private-key array. The cache holds
// no secret (only public keys) and cannot keep a key alive. A key array mutated after use would
// map to a stale public key; signing then fails its self-verification rather than misbehave.
const publicKeyCache = new WeakMap<Bytes, Bytes>();

export function publicKeyOf(sk: Bytes): Bytes {
  const cached = publicKeyCache.get(sk);
  if (cached) return cached;
  const pub = ecc.xOnlyPointFromScalar(assertPrivateKey(sk));
  publicKeyCache.set(sk, pub);
  return pub;
}

export function publicKeyHexOf(sk: Bytes): string {
  return toHex(publicKeyOf(sk));
}

/**
 * BIP340 signature. `auxRand` is the 32 bytes of auxiliary randomness; callers pass fresh
 * randomness (or fixed bytes for vectors). The signature is verified before it is returned,
 * so a fault in the signer can never leak a key through a bad signature.
 */
export function schnorrSign(message: Bytes, sk: Bytes, auxRand: Bytes): Bytes {
  assertPrivateKey(sk);
  ensureBytes(auxRand, 32, 'auxRand');
  ensureBytes(message, undefined, 'message');
  const sig =
    message.length === 32 ? ecc.signSchnorr(message, sk, auxRand) : schnorr.sign(message, sk, auxRand);
  if (!schnorrVerify(sig, message, publicKeyOf(sk))) throw new LnmpError('bad_signature', 'signer produced an invalid signature');
  return sig;
}

/** BIP340 verification. Returns false for every invalid input instead of throwing. */
export function schnorrVerify(sig: Bytes, message: Bytes, pub: Bytes): boolean {
  if (!(sig instanceof Uint8Array) || !(message instanceof Uint8Array) || !(pub instanceof Uint8Array)) return false;
  if (sig.length !== 64 || pub.length !== 32) return false;
  try {
    // No separate isXOnlyPoint check: verifySchnorr parses the key itself and throws
    // "Expected Point" for an x that is not on the curve (caught below), and the check would
    // repeat its square root (~8% of a verification).
    if (message.length === 32) return ecc.verifySchnorr(message, pub, sig);
    return schnorr.verify(sig, message, pub);
  } catch {
    return false;
  }
}

/**
 * x-only ECDH: the x coordinate of sk·P where P is the even-y lift of `pubX`. Using only x
 * makes the result independent of the parity of either key, so x-only keys suffice.
 */
export function ecdhX(sk: Bytes, pubX: Bytes): Bytes {
  assertPrivateKey(sk);
  ensureBytes(pubX, 32, 'public key');
  const lifted = new Uint8Array(33);
  lifted[0] = 0x02;
  lifted.set(pubX, 1);
  let shared: Uint8Array | null;
  try {
    shared = ecc.pointMultiply(lifted, sk, true);
  } catch (cause) {
    throw new LnmpError('invalid_public_key', 'public key is not a point on secp256k1', { cause });
  }
  if (!shared) throw new LnmpError('invalid_public_key', 'ECDH produced the point at infinity');
  return shared.subarray(1);
}


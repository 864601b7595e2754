// The dev backend's node key: the secp256k1 key whose signatures make its invoices real
// BOLT11 (the payee a wallet sees). The caller creates and persists the 32 bytes.
import * as ecc from 'tiny-secp256k1';
import { LightningError } from './errors.js';

export type RandomBytes = (n: number) => Uint8Array;

export class DevNodeKey {
  readonly #secret: Uint8Array;
  /** Compressed public key, 66 hex. */
  readonly publicKey: string;

  constructor(secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new TypeError('node key must be 32 bytes');
    if (!ecc.isPrivate(secret)) throw new RangeError('node key is not a valid secp256k1 private key');
    this.#secret = Uint8Array.from(secret);
    const pub = ecc.pointFromScalar(this.#secret, true);
    if (!pub) throw new RangeError('node key is not a valid secp256k1 private key');
    this.publicKey = Buffer.from(pub).toString('hex');
  }

  /** ECDSA over a 32-byte hash (RFC 6979, low-S), verified before it is returned. */
  sign(hash: Uint8Array): Uint8Array {
    const sig = ecc.sign(hash, this.#secret);
    if (!ecc.verify(hash, Buffer.from(this.publicKey, 'hex'), sig)) {
      throw new LightningError('signing_failed');
    }
    return sig;
  }
}

/** 32 random bytes that are a valid key (a random value outside [1, n-1] is drawn again). */
export function generateNodeKey(random: RandomBytes): Uint8Array {
  for (;;) {
    const key = random(32);
    if (ecc.isPrivate(key)) return key;
  }
}

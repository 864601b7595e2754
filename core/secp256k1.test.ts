import { describe, expect, it } from 'vitest';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import bip340 from './vectors/bip340.json' with { type: 'json' };
import { ecdhX, parsePublicKey, publicKeyHexOf, schnorrSign, schnorrVerify, assertPrivateKey } from './secp256k1.js';
import { fromHex, toHex } from './bytes.js';
import { isLnmpError } from './errors.js';

describe('BIP340 official vectors', () => {
  it('has all 19 vectors', () => expect(bip340.vectors).toHaveLength(19));
  for (const v of bip340.vectors) {
    it(`vector ${v.index} ${v.valid ? 'verifies' : 'is rejected'}${v.comment ? ` (${v.comment})` : ''}`, () => {
      const msg = fromHex(v.message);
      const sig = fromHex(v.signature);
      const pub = fromHex(v.publicKey);
      expect(schnorrVerify(sig, msg, pub)).toBe(v.valid);
      // The fast path must agree with noble, the reference implementation.
      let nobleResult: boolean;
      try {
        nobleResult = schnorr.verify(sig, msg, pub);
      } catch {
        nobleResult = false;
      }
      expect(nobleResult).toBe(v.valid);
      if (v.secretKey && v.auxRand) {
        const signed = schnorrSign(msg, fromHex(v.secretKey), fromHex(v.auxRand));
        expect(toHex(signed)).toBe(v.signature);
        expect(publicKeyHexOf(fromHex(v.secretKey))).toBe(v.publicKey);
      }
    });
  }
});

describe('fast paths agree with noble', () => {
  const scalar = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => {
    try {
      assertPrivateKey(b);
      return true;
    } catch {
      return false;
    }
  });

  it('sign equals noble sign for 32-byte messages', () => {
    fc.assert(
      fc.property(scalar, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk, msg, aux) => {
        expect(toHex(schnorrSign(msg, sk, aux))).toBe(toHex(schnorr.sign(msg, sk, aux)));
      }),
      { numRuns: 50 },
    );
  });

  it('x-only ECDH equals the x coordinate of noble getSharedSecret, whatever the key parities', () => {
    fc.assert(
      fc.property(scalar, scalar, (a, b) => {
        const pubA = fromHex(publicKeyHexOf(a));
        const pubB = fromHex(publicKeyHexOf(b));
        const ab = ecdhX(a, pubB);
        expect(toHex(ab)).toBe(toHex(ecdhX(b, pubA)));
        const noble = secp256k1.getSharedSecret(a, secp256k1.getPublicKey(b, true)).subarray(1);
        expect(toHex(ab)).toBe(toHex(noble));
      }),
      { numRuns: 50 },
    );
  });
});

describe('bad input', () => {
  const sk = fromHex('b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef');
  it('rejects a zero private key', () => {
    expect(() => schnorrSign(new Uint8Array(32), new Uint8Array(32), new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'invalid_private_key' }));
  });
  it('rejects a private key of the wrong length', () => {
    expect(() => schnorrSign(new Uint8Array(32), new Uint8Array(31), new Uint8Array(32))).toThrow(expect.objectContaining({ code: 'invalid_length' }));
  });
  it('rejects a private key that is not bytes', () => {
    expect(() => publicKeyHexOf('00' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'invalid_type' }));
  });
  it('rejects a public key that is not on the curve', () => {
    // x = 5 has no point on secp256k1 (BIP340 vector 5 uses a similar key).
    const notOnCurve = '0000000000000000000000000000000000000000000000000000000000000005';
    expect(() => parsePublicKey(notOnCurve)).toThrow(expect.objectContaining({ code: 'invalid_public_key' }));
    expect(() => ecdhX(sk, fromHex(notOnCurve))).toThrow(expect.objectContaining({ code: 'invalid_public_key' }));
  });
  it('rejects non-hex and short hex public keys with distinct codes', () => {
    try {
      parsePublicKey('zz'.repeat(32));
      expect.unreachable();
    } catch (e) {
      expect(isLnmpError(e, 'invalid_hex')).toBe(true);
    }
    expect(() => parsePublicKey('ab'.repeat(31))).toThrow(expect.objectContaining({ code: 'invalid_length' }));
  });
  it('verify returns false instead of throwing on garbage', () => {
    expect(schnorrVerify(new Uint8Array(63), new Uint8Array(32), new Uint8Array(32))).toBe(false);
    expect(schnorrVerify(new Uint8Array(64), new Uint8Array(32), new Uint8Array(33))).toBe(false);
    expect(schnorrVerify('x' as unknown as Uint8Array, new Uint8Array(32), new Uint8Array(32))).toBe(false);
    expect(schnorrVerify(new Uint8Array(64), new Uint8Array(32), fromHex('ff'.repeat(32)))).toBe(false);
  });
});

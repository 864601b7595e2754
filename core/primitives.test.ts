import { describe, expect, it } from 'vitest';
import { base64String } from './schema-helpers.js';
import fc from 'fast-check';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { aeadDecrypt, aeadEncrypt, assertAlgorithm } from './aead.js';
import { hkdfSha256, sha256 } from './hash.js';
import { canonicalize } from './jcs.js';
import { fromBase64, fromHex, toHex } from './bytes.js';
import { pad, padme, paddedLength, unpad, MIN_PADDED_BYTES } from './padding.js';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('AEAD fast path (node:crypto) matches noble', () => {
  it('ChaCha20-Poly1305 output is byte-identical to noble and decrypts', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, 2048), bytes(0, 64), (key, nonce, pt, aad) => {
        const ours = aeadEncrypt('ChaCha20-Poly1305', key, nonce, pt, aad);
        expect(toHex(ours)).toBe(toHex(chacha20poly1305(key, nonce, aad).encrypt(pt)));
        expect(toHex(aeadDecrypt('ChaCha20-Poly1305', key, nonce, ours, aad))).toBe(toHex(pt));
      }),
      { numRuns: 100 },
    );
  });
  it('AES-256-GCM output is byte-identical to noble and decrypts', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, 2048), bytes(0, 64), (key, nonce, pt, aad) => {
        const ours = aeadEncrypt('AES-256-GCM', key, nonce, pt, aad);
        expect(toHex(ours)).toBe(toHex(gcm(key, nonce, aad).encrypt(pt)));
        expect(toHex(aeadDecrypt('AES-256-GCM', key, nonce, ours, aad))).toBe(toHex(pt));
      }),
      { numRuns: 100 },
    );
  });
  it('detects a flipped bit anywhere in the ciphertext or tag', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const ct = aeadEncrypt('ChaCha20-Poly1305', key, nonce, new Uint8Array(100).fill(9));
    for (let i = 0; i < ct.length; i++) {
      const bad = ct.slice();
      bad[i]! ^= 1;
      expect(() => aeadDecrypt('ChaCha20-Poly1305', key, nonce, bad)).toThrow(expect.objectContaining({ code: 'tampered' }));
    }
  });
  it('rejects an unknown algorithm and short ciphertexts with their codes', () => {
    expect(() => assertAlgorithm('XSalsa20')).toThrow(expect.objectContaining({ code: 'unknown_algorithm' }));
    expect(() => aeadDecrypt('AES-256-GCM', new Uint8Array(32), new Uint8Array(12), new Uint8Array(15))).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => aeadEncrypt('AES-256-GCM', new Uint8Array(16), new Uint8Array(12), new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'invalid_length' }));
  });
});

describe('hashes match noble', () => {
  it('sha256 and HKDF-SHA256', () => {
    fc.assert(
      fc.property(bytes(0, 4096), bytes(0, 64), bytes(0, 32), (data, salt, info) => {
        expect(toHex(sha256(data))).toBe(toHex(nobleSha256(data)));
        expect(toHex(hkdfSha256(data, salt, info, 32))).toBe(toHex(hkdf(nobleSha256, data, salt, info, 32)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('RFC 8785 canonicalization', () => {
  it('sorts keys by UTF-16 code units and serialises numbers the ECMAScript way', () => {
    // Examples from RFC 8785 §3.2.2 and §3.2.3.
    // eslint-disable-next-line no-loss-of-precision -- the RFC example is deliberately imprecise
    expect(canonicalize({ numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001], literals: [null, true, false] })).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
    );
    expect(canonicalize({ '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' })).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(canonicalize({ b: undefined, a: 'x\u000fy' })).toBe('{"a":"x\\u000fy"}');
  });
  it('rejects values JSON cannot carry', () => {
    expect(() => canonicalize({ a: NaN })).toThrow(expect.objectContaining({ code: 'invalid_type' }));
    expect(() => canonicalize({ a: 1n })).toThrow(expect.objectContaining({ code: 'invalid_type' }));
  });
});

describe('padding', () => {
  it('pads to Padmé buckets of at least 256 bytes with at most 12% overhead above that', () => {
    expect(paddedLength(0)).toBe(MIN_PADDED_BYTES);
    expect(padme(4100)).toBe(4352);
    for (const n of [300, 1000, 4096, 65_536, 1_000_000, 30_000_000]) {
      const p = paddedLength(n);
      expect(p).toBeGreaterThanOrEqual(n + 4);
      expect(p / (n + 4)).toBeLessThanOrEqual(1.12);
    }
  });
  it('round-trips and rejects bad framing', () => {
    fc.assert(fc.property(bytes(0, 3000), (d) => { expect(toHex(unpad(pad(d)))).toBe(toHex(d)); }), { numRuns: 100 });
    const p = pad(new Uint8Array([1, 2, 3]));
    p[p.length - 1] = 1;
    expect(() => unpad(p)).toThrow(expect.objectContaining({ code: 'malformed' }));
    const q = pad(new Uint8Array([1, 2, 3]));
    q[0] = 1;
    expect(() => unpad(q)).toThrow(expect.objectContaining({ code: 'malformed' }));
  });
});

describe('encodings', () => {
  it('rejects non-canonical base64 and odd hex', () => {
    expect(() => fromBase64('abc')).toThrow(expect.objectContaining({ code: 'invalid_base64' }));
    expect(() => fromBase64('ab cd')).toThrow(expect.objectContaining({ code: 'invalid_base64' }));
    expect(() => fromHex('abc')).toThrow(expect.objectContaining({ code: 'invalid_hex' }));
    expect(() => fromHex(12)).toThrow(expect.objectContaining({ code: 'invalid_type' }));
    for (const bad of ['a===', '====', 'a=b=', 'ab=c', '=abc', 'abc']) {
      expect(() => fromBase64(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_base64' }));
    }
    for (const good of ['', 'ab==', 'abc=', 'abcd', 'ab+/']) expect(() => fromBase64(good), good).not.toThrow();
  });

  it('checks megabyte encodings without overflowing the stack (MIME of large mail travels as base64)', () => {
    const big = Buffer.alloc(30 * 1024 * 1024, 7);
    expect(Buffer.from(fromBase64(big.toString('base64'))).equals(big)).toBe(true);
    expect(Buffer.from(fromHex(big.subarray(0, 8 * 1024 * 1024).toString('hex'))).equals(big.subarray(0, 8 * 1024 * 1024))).toBe(true);
    expect(base64String(Number.MAX_SAFE_INTEGER).safeParse(big.toString('base64')).success).toBe(true);
  });
});

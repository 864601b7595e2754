import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { open, seal, parseSealedPayload } from './seal.js';
import { deterministicRng } from './deterministic-rng.js';
import { identityFromPrivateKey, type Identity } from './keys.js';
import { fromBase64, toBase64, toHex, utf8 } from './bytes.js';
import { sha256 } from './hash.js';

const ids: Identity[] = Array.from({ length: 6 }, (_, i) => identityFromPrivateKey(sha256(utf8(`seal-test-key-${i}`))));
const rng = deterministicRng('seal-test');

describe('seal / open', () => {
  it('property: every recipient opens what was sealed, for random contents and recipient sets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 5000 }),
        fc.subarray(ids, { minLength: 1 }),
        fc.constantFrom('ChaCha20-Poly1305' as const, 'AES-256-GCM' as const),
        fc.uint8Array({ maxLength: 40 }),
        (pt, recipients, algorithm, aad) => {
          const sealed = seal(pt, recipients.map((r) => r.publicKey), rng, { algorithm, aad });
          for (const r of recipients) expect(toHex(open(sealed, r.privateKey, { aad }))).toBe(toHex(pt));
          for (const other of ids.filter((i) => !recipients.includes(i))) {
            expect(() => open(sealed, other.privateKey, { aad })).toThrow(expect.objectContaining({ code: 'not_addressed' }));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('property: flipping any bit of the ciphertext, a wrapped key, the nonce or the AAD is detected as tampered', () => {
    const pt = utf8('the quick brown fox');
    const aad = utf8('header');
    const sealed = seal(pt, [ids[0]!.publicKey, ids[1]!.publicKey], rng, { aad });
    const ct = fromBase64(sealed.ciphertext);
    const key0 = fromBase64(sealed.keys[0]!.key);
    fc.assert(
      fc.property(fc.nat(ct.length * 8 - 1), fc.nat(key0.length * 8 - 1), fc.nat(12 * 8 - 1), fc.nat(aad.length * 8 - 1), (bc, bk, bn, ba) => {
        const flip = (b: Uint8Array, bit: number) => {
          const c = b.slice();
          c[bit >> 3]! ^= 1 << (bit & 7);
          return c;
        };
        const tamperedCt = { ...sealed, ciphertext: toBase64(flip(ct, bc)) };
        expect(() => open(tamperedCt, ids[0]!.privateKey, { aad })).toThrow(expect.objectContaining({ code: 'tampered' }));
        const tamperedKey = { ...sealed, keys: [{ ...sealed.keys[0]!, key: toBase64(flip(key0, bk)) }, sealed.keys[1]!] };
        expect(() => open(tamperedKey, ids[0]!.privateKey, { aad })).toThrow(expect.objectContaining({ code: 'tampered' }));
        const nonce = Buffer.from(sealed.nonce, 'hex');
        const tamperedNonce = { ...sealed, nonce: toHex(flip(nonce, bn)) };
        expect(() => open(tamperedNonce, ids[0]!.privateKey, { aad })).toThrow(expect.objectContaining({ code: 'tampered' }));
        expect(() => open(sealed, ids[0]!.privateKey, { aad: flip(aad, ba) })).toThrow(expect.objectContaining({ code: 'tampered' }));
      }),
      { numRuns: 100 },
    );
  });

  it('hides the exact length: payloads of 1 and 200 bytes have the same ciphertext size', () => {
    const a = seal(new Uint8Array(1), [ids[0]!.publicKey], rng);
    const b = seal(new Uint8Array(200), [ids[0]!.publicKey], rng);
    expect(a.ciphertext.length).toBe(b.ciphertext.length);
  });

  it('seals duplicate recipients once', () => {
    const s = seal(utf8('x'), [ids[0]!.publicKey, ids[0]!.publicKey.toUpperCase()], rng);
    expect(s.keys).toHaveLength(1);
  });

  it('bad input gives distinct codes', () => {
    const sealed = seal(utf8('x'), [ids[0]!.publicKey], rng);
    expect(() => open({ ...sealed, algorithm: 'ROT13' }, ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'unknown_algorithm' }));
    expect(() => open({ ...sealed, nonce: 'zz' }, ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => open({ ...sealed, keys: [] }, ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => open('nope', ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => open({ ...sealed, extra: 1 }, ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => parseSealedPayload({ ...sealed, keys: [sealed.keys[0], sealed.keys[0]] })).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => open({ ...sealed, keys: [{ ...sealed.keys[0]!, key: toBase64(new Uint8Array(10)) }] }, ids[0]!.privateKey)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(() => seal(utf8('x'), [], rng)).toThrow(expect.objectContaining({ code: 'invalid_length' }));
    expect(() => seal(utf8('x'), ['00'.repeat(31) + '05'], rng)).toThrow(expect.objectContaining({ code: 'invalid_public_key' }));
    expect(() => seal(utf8('x'), ['xyz'], rng)).toThrow(expect.objectContaining({ code: 'invalid_hex' }));
    expect(() => seal(new Uint8Array(40 * 1024 * 1024 + 1), [ids[0]!.publicKey], rng)).toThrow(expect.objectContaining({ code: 'oversize' }));
  });
});

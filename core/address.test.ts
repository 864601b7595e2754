import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checksumMatches, computeChecksum, formatAddress, makeAddress, normalizeUsername, parseAddress, verifyAddress } from './address.js';
import { publicKeyHexOf } from './secp256k1.js';
import { fromHex } from './bytes.js';

const PK = publicKeyHexOf(fromHex('0000000000000000000000000000000000000000000000000000000000000003'));

describe('addresses', () => {
  it('computes the checksum as the first 6 base58 chars of sha256(pubkeyHex + username)', () => {
    // Independent computation of the same rule with node:crypto and a hand-written base58.
    const digest = createHash('sha256').update(PK + 'alice').digest();
    expect(computeChecksum(PK, 'alice')).toBe(base58(digest).slice(0, 6));
  });

  it('formats and parses username#checksum@host', () => {
    const a = makeAddress(PK, 'alice', 'Example.TEST');
    expect(a.host).toBe('example.test');
    const s = formatAddress(a);
    expect(s).toMatch(/^alice#[1-9A-HJ-NP-Za-km-z]{6}@example\.test$/);
    expect(parseAddress(s)).toEqual(a);
    expect(formatAddress(makeAddress(PK, 'alice'))).toBe(`alice#${a.checksum}`);
  });

  it('matches the checksum case-insensitively, as mail systems change case', () => {
    const s = formatAddress(makeAddress(PK, 'alice', 'example.test'));
    expect(checksumMatches(parseAddress(s.toUpperCase()), PK)).toBe(true);
    expect(checksumMatches(parseAddress(s.toLowerCase()), PK)).toBe(true);
    expect(() => verifyAddress(s.toUpperCase(), PK)).not.toThrow();
  });

  it('rejects a checksum that belongs to another key or username', () => {
    const s = formatAddress(makeAddress(PK, 'alice', 'example.test'));
    const other = publicKeyHexOf(fromHex('00'.repeat(31) + '05'));
    expect(checksumMatches(parseAddress(s), other)).toBe(false);
    expect(() => verifyAddress(s.replace('alice', 'bob'), PK)).toThrow(expect.objectContaining({ code: 'checksum_mismatch' }));
  });

  it.each([
    ['alice@example.test', 'invalid_address'],
    ['alice#abc@example.test', 'invalid_address'],
    ['alice#abcdef#abcdef@example.test', 'invalid_address'],
    ['alice#abc0ef@example.test', 'invalid_address'],
    ['#abcdef@example.test', 'invalid_username'],
    ['.alice#abcdef@example.test', 'invalid_username'],
    ['al..ice#abcdef@example.test', 'invalid_username'],
    ['alice!#abcdef@example.test', 'invalid_username'],
    ['a'.repeat(65) + '#abcdef@example.test', 'invalid_username'],
    ['alice#abcdef@', 'invalid_host'],
    ['alice#abcdef@-bad.test', 'invalid_host'],
    ['alice#abcdef@exa mple.test', 'invalid_host'],
    ['alice#abcdef@' + 'a'.repeat(400), 'invalid_address'],
    ['alice#abcdef@' + 'a.'.repeat(127) + 'b', 'invalid_host'],
  ])('rejects %s with %s', (input, code) => {
    expect(() => parseAddress(input)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects non-strings with invalid_type', () => {
    expect(() => parseAddress(42)).toThrow(expect.objectContaining({ code: 'invalid_type' }));
    expect(() => normalizeUsername(null)).toThrow(expect.objectContaining({ code: 'invalid_type' }));
  });

  it('property: parse(format(a)) = a for every valid username and host', () => {
    const username = fc.stringMatching(/^[a-z0-9](?:[a-z0-9_-]{0,20}[a-z0-9])?$/);
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    fc.assert(
      fc.property(username, fc.option(host, { nil: undefined }), (u, h) => {
        const a = makeAddress(PK, u, h);
        expect(parseAddress(formatAddress(a))).toEqual(a);
        expect(checksumMatches(parseAddress(formatAddress(a)), PK)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

function base58(bytes: Uint8Array): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

// Token format, derivations and names: pure, no database.
import { describe, expect, it } from 'vitest';
import { deterministicRng, toHex } from '../core/index.js';
import { checkTokenName, isTokenFormat, newToken, tokenKeys } from './token-service.js';

describe('tokens', () => {
  it('are lnmp_ and 52 base32 characters (256 bits) from the rng', () => {
    const token = newToken(() => new Uint8Array(32).fill(0xff));
    expect(token).toBe(`lnmp_${'7'.repeat(51)}q`);
    expect(isTokenFormat(token)).toBe(true);
    expect(isTokenFormat(newToken(deterministicRng('a')))).toBe(true);
    expect(newToken(deterministicRng('a'))).not.toBe(newToken(deterministicRng('b')));
  });

  it('recognises only the exact shape', () => {
    for (const value of ['', 'lnmp_', `lnmp_${'a'.repeat(51)}`, `lnmp_${'a'.repeat(53)}`, `LNMP_${'a'.repeat(52)}`, `lnmp_${'A'.repeat(52)}`, `lnmp_${'1'.repeat(52)}`, 'app-1-abc', 42, undefined]) {
      expect(isTokenFormat(value)).toBe(false);
    }
  });

  it('derive a lookup value and a wrap key that differ from each other and from the token', () => {
    const token = `lnmp_${'a'.repeat(52)}`;
    const { lookup, wrapKey } = tokenKeys(token);
    expect(lookup).toHaveLength(32);
    expect(wrapKey).toHaveLength(32);
    expect(toHex(lookup)).not.toBe(toHex(wrapKey));
    expect(toHex(tokenKeys(token).lookup)).toBe(toHex(lookup));
    expect(toHex(tokenKeys(`lnmp_${'b'.repeat(52)}`).lookup)).not.toBe(toHex(lookup));
  });

  it('names: letters, digits, ".", "_", "-", 1-64 characters, not starting with punctuation', () => {
    for (const name of ['phone', 'Thunderbird-2', 'a', 'x'.repeat(64), 'laptop.home_1']) expect(checkTokenName(name)).toBe(name);
    for (const name of ['', ' phone', 'my phone', '-x', '.x', 'x'.repeat(65), 'tëst', 'a/b']) {
      expect(() => checkTokenName(name)).toThrow(expect.objectContaining({ code: 'invalid_token_name' }));
    }
  });
});

// Masking of URL passwords, including text that does not parse as a URL, where it must
// hide too much rather than leak part of a password.
import { describe, expect, it } from 'vitest';
import { MASK, maskUrlPassword, maskValue } from './mask.js';

describe('maskUrlPassword', () => {
  it.each([
    ['postgres://gw:s3cret@db:5432/lnmp', `postgres://gw:${MASK}@db:5432/lnmp`],
    ['postgresql://gw:p%40ss@db/lnmp?sslmode=require', `postgresql://gw:${MASK}@db/lnmp?sslmode=require`],
    ['rediss://:pw@cache:6380', `rediss://:${MASK}@cache:6380`],
    ['postgres://gw@db/lnmp', 'postgres://gw@db/lnmp'],
    ['postgres://db/lnmp', 'postgres://db/lnmp'],
    // Not URLs (a space in the host, a raw "@" and "/" in the password): masked to the last "@".
    ['postgres://gw:pa/ss@my db/lnmp', `postgres://gw:${MASK}@my db/lnmp`],
    ['gw:secret@db', `gw:${MASK}@db`],
    ['no secret here', 'no secret here'],
  ])('%s', (input, expected) => {
    expect(maskUrlPassword(input)).toBe(expected);
  });
});

describe('maskValue', () => {
  it('masks by kind and leaves unset values unset', () => {
    expect(maskValue('whole', 'abc')).toBe(MASK);
    expect(maskValue('whole', 42)).toBe(MASK);
    expect(maskValue('whole', undefined)).toBeUndefined();
    expect(maskValue('none', 'abc')).toBe('abc');
    expect(maskValue('url-password', 'redis://:x@h')).toBe(`redis://:${MASK}@h`);
  });
});

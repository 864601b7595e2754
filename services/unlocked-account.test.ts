import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnlockedAccount } from './unlocked-account.js';

const info = { userId: 1, address: 'a@example.test', lnmpAddress: 'a#abcdef@example.test', publicKey: 'ab'.repeat(32) };

describe('UnlockedAccount', () => {
  afterEach(() => vi.useRealTimers());

  it('zeroes its keys and refuses use after the TTL', () => {
    vi.useFakeTimers();
    const sk = new Uint8Array(32).fill(7);
    const mk = new Uint8Array(32).fill(9);
    const a = new UnlockedAccount(info, { privateKey: sk, mailboxKey: mk }, 1000, Date.now());
    expect(a.privateKey[0]).toBe(7);
    vi.advanceTimersByTime(999);
    expect(a.locked).toBe(false);
    vi.advanceTimersByTime(1);
    expect(a.locked).toBe(true);
    expect(sk.every((b) => b === 0) && mk.every((b) => b === 0)).toBe(true);
    expect(() => a.mailboxKey).toThrow(expect.objectContaining({ code: 'session_expired' }));
  });

  it('never serialises its keys', () => {
    const a = new UnlockedAccount(info, { privateKey: new Uint8Array(32).fill(0xaa), mailboxKey: new Uint8Array(32).fill(0xbb) }, 1000, Date.now());
    const json = JSON.stringify({ a });
    expect(json).not.toMatch(/aaaa|170/i);
    expect(JSON.parse(json).a).toEqual(info);
    a.lock();
  });
});

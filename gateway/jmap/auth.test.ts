// The Basic login cache without a socket: one login per credential and TTL, shared by
// concurrent requests, keyed so another password misses, and keys zeroed once forgotten.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceError } from '../../services/errors.js';
import { UnlockedAccount } from '../../services/unlocked-account.js';
import type { HttpRequest } from '../http/types.js';
import { createLogger } from '../log.js';
import { BasicAuth, parseBasic } from './auth.js';
import { AUTH_LOCK_GRACE_MS } from './limits.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const request = (authorization?: string): HttpRequest => ({ method: 'GET', path: '/', query: new URLSearchParams(), headers: authorization ? { authorization } : {}, body: new Uint8Array(), remoteAddress: '192.0.2.1' });

function setup(opts: { maxEntries?: number } = {}) {
  let now = 1_000_000;
  const logins: Array<[string, string, string]> = [];
  const issued: UnlockedAccount[] = [];
  const throttle = {
    authenticate: async (_accounts: unknown, address: string, password: string, ip: string) => {
      logins.push([address, password, ip]);
      await Promise.resolve();
      if (password !== 'right-password') throw new ServiceError('auth_failed');
      const account = new UnlockedAccount({ userId: 7, address, lnmpAddress: '', publicKey: '' }, { privateKey: new Uint8Array(32).fill(1), mailboxKey: new Uint8Array(32).fill(2) }, 3_600_000, now);
      issued.push(account);
      return account;
    },
  };
  const auth = new BasicAuth({
    accounts: { authenticate: () => Promise.reject(new Error('not called directly')) },
    throttle,
    messages: { rewrapPending: async () => 0 },
    logger: createLogger({ level: 'error', write: () => {} }),
    rng: (n) => new Uint8Array(n).fill(9),
    now: () => now,
    ttlMs: 60_000,
    ...opts,
  });
  return { auth, logins, issued, advance: (ms: number) => (now += ms) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BasicAuth', () => {
  it('logs in once per credential within the TTL, concurrent requests included', async () => {
    const { auth, logins } = setup();
    const results = await Promise.all([1, 2, 3].map(() => auth.authenticate(request(basic('alice@example.test', 'right-password')))));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await auth.authenticate(request(basic('alice@example.test', 'right-password')))).toMatchObject({ ok: true });
    expect(logins).toEqual([['alice@example.test', 'right-password', '192.0.2.1']]);
  });

  it('does not let another password use the cached login, and does not cache failures', async () => {
    const { auth, logins } = setup();
    expect((await auth.authenticate(request(basic('alice@example.test', 'right-password')))).ok).toBe(true);
    expect((await auth.authenticate(request(basic('alice@example.test', 'wrong')))).ok).toBe(false);
    expect((await auth.authenticate(request(basic('alice@example.test', 'wrong')))).ok).toBe(false);
    expect(logins.map((l) => l[1])).toEqual(['right-password', 'wrong', 'wrong']);
  });

  it('logs in again after the TTL and zeroes the forgotten keys after the grace period', async () => {
    vi.useFakeTimers();
    const { auth, logins, issued, advance } = setup();
    expect((await auth.authenticate(request(basic('alice@example.test', 'right-password')))).ok).toBe(true);
    advance(60_000);
    expect((await auth.authenticate(request(basic('alice@example.test', 'right-password')))).ok).toBe(true);
    expect(logins).toHaveLength(2);
    expect(issued[0]!.locked).toBe(false);
    vi.advanceTimersByTime(AUTH_LOCK_GRACE_MS);
    expect(issued.map((a) => a.locked)).toEqual([true, false]);
  });

  it('forgets the oldest login past maxEntries, and a locked login is replaced', async () => {
    const { auth, logins, issued } = setup({ maxEntries: 1 });
    await auth.authenticate(request(basic('a@example.test', 'right-password')));
    await auth.authenticate(request(basic('b@example.test', 'right-password')));
    await auth.authenticate(request(basic('a@example.test', 'right-password')));
    expect(logins.map((l) => l[0])).toEqual(['a@example.test', 'b@example.test', 'a@example.test']);
    issued[2]!.lock();
    expect(await auth.authenticate(request(basic('a@example.test', 'right-password')))).toMatchObject({ ok: true, account: issued[3] });
    auth.close();
    await Promise.resolve();
    expect(issued[3]!.locked).toBe(true);
  });
});

describe('parseBasic', () => {
  it.each([
    [basic('alice@example.test', 'pa:ss wörd'), { username: 'alice@example.test', password: 'pa:ss wörd' }],
    [`basic  ${Buffer.from('u:').toString('base64')}`, { username: 'u', password: '' }],
    ['Bearer x', undefined],
    ['Basic', undefined],
    [`Basic ${Buffer.from(':p').toString('base64')}`, undefined],
    [`Basic ${Buffer.from([0x75, 0x3a, 0xff]).toString('base64')}`, undefined],
  ])('reads %j', (header, expected) => {
    expect(parseBasic(header)).toEqual(expected);
  });
});

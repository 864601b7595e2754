// Failed-login throttling: per account and per IP, refused before the password is checked,
// cleared by a success, and shared between gateway processes through Redis.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryCounters, createRedisCounters } from '../storage/counters.js';
import { TEST_REDIS_URL } from '../test/helpers/services.js';
import { ServiceError } from './errors.js';
import { LoginThrottle } from './login-throttle.js';
import type { UnlockedAccount } from './unlocked-account.js';

/** An account service with one user whose password is "right"; counts password checks. */
function fakeAccounts() {
  const calls: string[] = [];
  return {
    calls,
    authenticate(address: string, password: string): Promise<UnlockedAccount> {
      calls.push(address);
      if (password !== 'right') return Promise.reject(new ServiceError('auth_failed'));
      return Promise.resolve({ userId: 1, address } as unknown as UnlockedAccount);
    },
  };
}

const limits = { accountFailures: 3, ipFailures: 5, windowMs: 60_000 };

describe('LoginThrottle', () => {
  it('refuses an account after its failures without checking the password, until a window passes', async () => {
    const accounts = fakeAccounts();
    const throttle = new LoginThrottle(createMemoryCounters(), limits);
    for (let i = 0; i < 3; i++) await expect(throttle.authenticate(accounts, 'A@x.test', 'wrong', '192.0.2.1')).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(throttle.authenticate(accounts, 'a@x.test', 'right', '192.0.2.9')).rejects.toMatchObject({ code: 'throttled' });
    expect(accounts.calls).toHaveLength(3);
  });

  it('refuses an IP after its failures over several accounts; a success clears only the account count', async () => {
    const accounts = fakeAccounts();
    const throttle = new LoginThrottle(createMemoryCounters(), limits);
    await expect(throttle.authenticate(accounts, 'b@x.test', 'wrong', '192.0.2.2')).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(throttle.authenticate(accounts, 'b@x.test', 'right', '192.0.2.2')).resolves.toMatchObject({ userId: 1 });
    for (const user of ['c', 'd', 'e', 'f']) await expect(throttle.authenticate(accounts, `${user}@x.test`, 'wrong', '192.0.2.2')).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(throttle.authenticate(accounts, 'g@x.test', 'right', '192.0.2.2')).rejects.toMatchObject({ code: 'throttled' });
    await expect(throttle.authenticate(accounts, 'g@x.test', 'right', '192.0.2.3')).resolves.toMatchObject({ userId: 1 });
  });

  it('with Redis, a limit reached through one gateway process holds at another', async () => {
    const [c1, c2] = await Promise.all([createRedisCounters(TEST_REDIS_URL), createRedisCounters(TEST_REDIS_URL)]);
    try {
      const accounts = fakeAccounts();
      // Redis outlives the test run: fresh names so earlier runs' counts do not interfere.
      const run = randomBytes(6).toString('hex');
      const user = `u${run}@x.test`;
      const first = new LoginThrottle(c1, limits);
      const second = new LoginThrottle(c2, limits);
      for (let i = 0; i < 3; i++) await expect(first.authenticate(accounts, user, 'wrong', `2001:db8::${run.slice(0, 4)}:1`)).rejects.toMatchObject({ code: 'auth_failed' });
      await expect(second.authenticate(accounts, user, 'right', `2001:db8::${run.slice(0, 4)}:2`)).rejects.toMatchObject({ code: 'throttled' });
    } finally {
      await Promise.all([c1.close(), c2.close()]);
    }
  });
});

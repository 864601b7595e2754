// Failed-login throttling shared by every front-end that takes a password (submission,
// IMAP, JMAP): per account and per client IP, counted in storage/counters (Redis when
// configured, so a limit reached through one gateway process holds at the others). A
// throttled attempt is refused before the password is checked, so it costs no scrypt.
import type { Counters } from '../storage/counters.js';
import { ServiceError } from './errors.js';
import type { AccountService } from './account-service.js';
import type { UnlockedAccount } from './unlocked-account.js';

export const LOGIN_THROTTLE = {
  /** Failed logins for one account before it is refused for the rest of the window. */
  accountFailures: 10,
  /** Failed logins from one IP address (any accounts) before it is refused. */
  ipFailures: 30,
  windowMs: 15 * 60 * 1000,
} as const;

export type LoginLimits = { accountFailures: number; ipFailures: number; windowMs: number };

export class LoginThrottle {
  readonly #counters: Counters;
  readonly #limits: LoginLimits;

  constructor(counters: Counters, limits: LoginLimits = LOGIN_THROTTLE) {
    this.#counters = counters;
    this.#limits = limits;
  }

  /**
   * Authenticates unless throttled. Throws ServiceError `throttled` (too many recent
   * failures for this account or IP) or `auth_failed`; success clears the account's count.
   */
  async authenticate(accounts: Pick<AccountService, 'authenticate'>, address: string, password: string, ip: string): Promise<UnlockedAccount> {
    const accountKey = `login:acct:${address.trim().toLowerCase()}`;
    const ipKey = `login:ip:${ip}`;
    const [perAccount, perIp] = await Promise.all([this.#counters.peek(accountKey), this.#counters.peek(ipKey)]);
    if (perAccount >= this.#limits.accountFailures || perIp >= this.#limits.ipFailures) {
      throw new ServiceError('throttled', 'too many failed logins; try again later');
    }
    try {
      const account = await accounts.authenticate(address, password);
      await this.#counters.reset(accountKey);
      return account;
    } catch (err) {
      if (err instanceof ServiceError && err.code === 'auth_failed') {
        await Promise.all([this.#counters.hit(accountKey, this.#limits.windowMs), this.#counters.hit(ipKey, this.#limits.windowMs)]);
      }
      throw err;
    }
  }
}

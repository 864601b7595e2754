// HTTP Basic authentication for JMAP (RFC 7617) with the credentials IMAP and submission take,
// through the same LoginThrottle. A successful login is remembered for AUTH_CACHE_TTL_MS under
// an HMAC of the Authorization value (a per-process random key; the password itself is never
// kept), so a client sending its credentials with every request pays one scrypt per period.
// Concurrent first requests share one login. A forgotten login's keys are zeroed after a grace.
//
// Refusals: no or malformed credentials and wrong ones are 401 with WWW-Authenticate; a
// throttled account or IP is 429 with Retry-After (the throttle window), checked before any
// password work, so a client can tell "wrong password" (prompt the user) from "wait".
import { createHmac } from 'node:crypto';
import type { Rng } from '../../core/index.js';
import { isServiceError } from '../../services/errors.js';
import { LOGIN_THROTTLE, type LoginThrottle } from '../../services/login-throttle.js';
import type { AccountService } from '../../services/account-service.js';
import type { MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import type { Logger } from '../log.js';
import { problemResponse } from './errors.js';
import { AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_MS, AUTH_LOCK_GRACE_MS } from './limits.js';

export const WWW_AUTHENTICATE = 'Basic realm="LNMP Gateway", charset="UTF-8"';

export const AUTH_DETAIL = {
  missing: 'HTTP Basic credentials are required',
  failed: 'authentication failed',
  throttled: 'too many failed logins; try again later',
  unavailable: 'authentication is temporarily unavailable',
} as const;

export type AuthResult = { readonly ok: true; readonly account: UnlockedAccount } | { readonly ok: false; readonly response: HttpResponse };

export interface BasicAuthOptions {
  readonly accounts: Pick<AccountService, 'authenticate'>;
  readonly throttle: Pick<LoginThrottle, 'authenticate'>;
  readonly messages: Pick<MessageService, 'rewrapPending'>;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now?: () => number;
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

interface Entry {
  readonly login: Promise<UnlockedAccount>;
  readonly expiresAt: number;
}

export class BasicAuth {
  readonly #opts: BasicAuthOptions;
  readonly #key: Uint8Array;
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #max: number;
  /** Insertion order is age order: the first entry is the oldest. */
  readonly #cache = new Map<string, Entry>();

  constructor(opts: BasicAuthOptions) {
    this.#opts = opts;
    this.#key = opts.rng(32);
    this.#now = opts.now ?? Date.now;
    this.#ttl = opts.ttlMs ?? AUTH_CACHE_TTL_MS;
    this.#max = opts.maxEntries ?? AUTH_CACHE_MAX_ENTRIES;
  }

  async authenticate(request: HttpRequest): Promise<AuthResult> {
    const header = request.headers['authorization'];
    const credentials = typeof header === 'string' ? parseBasic(header) : undefined;
    if (!credentials) return { ok: false, response: unauthorized(AUTH_DETAIL.missing) };
    const key = createHmac('sha256', this.#key).update(header as string).digest('base64');
    const now = this.#now();
    let entry = this.#cache.get(key);
    if (entry && (entry.expiresAt <= now)) {
      this.#forget(key, entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { login: this.#login(credentials, request.remoteAddress ?? 'unknown'), expiresAt: now + this.#ttl };
      this.#cache.set(key, entry);
      while (this.#cache.size > this.#max) {
        const [oldestKey, oldest] = this.#cache.entries().next().value as [string, Entry];
        this.#forget(oldestKey, oldest);
      }
    }
    try {
      const account = await entry.login;
      if (account.locked) {
        this.#forget(key, entry);
        return this.authenticate(request);
      }
      return { ok: true, account };
    } catch (err) {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
      if (isServiceError(err, 'auth_failed')) return { ok: false, response: unauthorized(AUTH_DETAIL.failed) };
      if (isServiceError(err, 'throttled')) {
        return { ok: false, response: problemResponse(429, { type: 'about:blank', status: 429, detail: AUTH_DETAIL.throttled }, { 'retry-after': String(LOGIN_THROTTLE.windowMs / 1000) }) };
      }
      this.#opts.logger.warn('JMAP authentication unavailable', { err });
      return { ok: false, response: problemResponse(503, { type: 'about:blank', status: 503, detail: AUTH_DETAIL.unavailable }) };
    }
  }

  /** Forgets every login and zeroes its keys (at shutdown). */
  close(): void {
    for (const [key, entry] of this.#cache) {
      this.#cache.delete(key);
      entry.login.then((a) => a.lock(), () => {});
    }
  }

  async #login(credentials: { username: string; password: string }, ip: string): Promise<UnlockedAccount> {
    const account = await this.#opts.throttle.authenticate(this.#opts.accounts, credentials.username, credentials.password, ip);
    try {
      await this.#opts.messages.rewrapPending(account);
    } catch (err) {
      account.lock();
      throw err;
    }
    return account;
  }

  #forget(key: string, entry: Entry): void {
    if (this.#cache.get(key) === entry) this.#cache.delete(key);
    // Requests that took this login just before may still be running.
    entry.login.then((a) => setTimeout(() => a.lock(), AUTH_LOCK_GRACE_MS).unref(), () => {});
  }
}

/** RFC 7617: "Basic" base64(user ":" password), UTF-8. Undefined when malformed. */
export function parseBasic(header: string): { username: string; password: string } | undefined {
  const m = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(m[1]!, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function unauthorized(detail: string): HttpResponse {
  return problemResponse(401, { type: 'about:blank', status: 401, detail }, { 'www-authenticate': WWW_AUTHENTICATE });
}

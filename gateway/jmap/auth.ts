// HTTP Basic authentication for JMAP (RFC 7617) with the credentials IMAP and submission take,
// through the same LoginThrottle. A successful login is remembered for AUTH_CACHE_TTL_MS under
// an HMAC of the Authorization value (a per-process random key; the password itself is never
// kept), so a client sending its credentials with every request pays one scrypt per period.
// Concurrent first requests share one login. A forgotten login's keys are zeroed after a grace.
//
// `Authorization: Bearer <token>` takes a token made by `lnmp-gateway token create` instead: it
// is cached the same way (the throttle counts it under the HMAC, per IP as for passwords), and
// every request first checks that the token still exists, so a revoked token fails at once
// (also when it is sent as the Basic password, where it works as an app password).
//
// Refusals: no or malformed credentials and wrong ones are 401 with WWW-Authenticate; a
// throttled account or IP is 429 with Retry-After (the throttle window), checked before any
// password work, so a client can tell "wrong password" (prompt the user) from "wait".
import { createHmac } from 'node:crypto';
import type { Rng } from '../../core/index.js';
import { isServiceError, ServiceError } from '../../services/errors.js';
import { LOGIN_THROTTLE, type LoginThrottle } from '../../services/login-throttle.js';
import type { AccountService } from '../../services/account-service.js';
import type { MessageService } from '../../services/message-service.js';
import { isTokenFormat } from '../../services/token-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { HttpRequestHead, HttpResponse } from '../http/types.js';
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
  /** Without the token methods, bearer tokens are refused (401). */
  readonly accounts: Pick<AccountService, 'authenticate'> & Partial<Pick<AccountService, 'authenticateToken' | 'tokenActive'>>;
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

  /** Needs only the request head (credentials and address), so it can run before the body is read. */
  async authenticate(request: HttpRequestHead): Promise<AuthResult> {
    const header = request.headers['authorization'];
    const token = typeof header === 'string' ? parseBearer(header) : undefined;
    const credentials = typeof header === 'string' && token === undefined ? parseBasic(header) : undefined;
    if (!credentials && token === undefined) return { ok: false, response: unauthorized(AUTH_DETAIL.missing) };
    const key = createHmac('sha256', this.#key).update(header as string).digest('base64');
    const now = this.#now();
    let entry = this.#cache.get(key);
    // A token used as the Basic password is checked like a bearer one: revoked means refused now.
    const anyToken = token ?? (credentials && isTokenFormat(credentials.password) ? credentials.password : undefined);
    if (entry && (entry.expiresAt <= now || (anyToken !== undefined && !(await this.#tokenActive(anyToken))))) {
      this.#forget(key, entry);
      entry = undefined;
    }
    if (!entry) {
      const ip = request.remoteAddress ?? 'unknown';
      entry = { login: token !== undefined ? this.#tokenLogin(token, key, ip) : this.#login(credentials!, ip), expiresAt: now + this.#ttl };
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

  /** Whether a cached bearer token is still there (not revoked); a failed check counts as revoked. */
  async #tokenActive(token: string): Promise<boolean> {
    const { tokenActive } = this.#opts.accounts;
    if (!tokenActive) return false;
    return tokenActive.call(this.#opts.accounts, token).catch(() => false);
  }

  /** A bearer login through the throttle; its account counter is the header's HMAC (a bearer names no user). */
  #tokenLogin(token: string, key: string, ip: string): Promise<UnlockedAccount> {
    const accounts = this.#opts.accounts;
    const viaToken = {
      authenticate: (_name: string, value: string) => (accounts.authenticateToken ? accounts.authenticateToken(value) : Promise.reject(new ServiceError('auth_failed'))),
    };
    return this.#login({ username: `bearer:${key}`, password: token }, ip, viaToken);
  }

  async #login(credentials: { username: string; password: string }, ip: string, accounts: Pick<AccountService, 'authenticate'> = this.#opts.accounts): Promise<UnlockedAccount> {
    const account = await this.#opts.throttle.authenticate(accounts, credentials.username, credentials.password, ip);
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

/** RFC 6750 §2.1: "Bearer" b64token. Undefined when the header is not a bearer one. */
export function parseBearer(header: string): string | undefined {
  const m = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m ? m[1] : undefined;
}

function unauthorized(detail: string): HttpResponse {
  return problemResponse(401, { type: 'about:blank', status: 401, detail }, { 'www-authenticate': WWW_AUTHENTICATE });
}

// LOGIN and AUTHENTICATE PLAIN: address (or LNMP address) and password or app password,
// through the shared login throttle. Success unlocks the account for this connection and
// re-wraps mail delivered while the user was away; the key is locked again on close.
import { isServiceError } from '../../services/errors.js';
import type { ImapContext } from './context.js';
import type { EngineSession } from './engine.js';

export interface AuthRequest {
  method: 'LOGIN' | 'PLAIN';
  username: string;
  password: string;
}

/** A refusal the engine writes as is: LOGIN uses response/code/message, PLAIN `response message`. */
interface AuthRefusal extends Error {
  response: 'NO';
  code?: string;
}

export const AUTH_TEXT = {
  throttled: 'Too many failed logins, try again later',
  unavailable: 'Authentication is temporarily unavailable',
} as const;

function refusal(method: AuthRequest['method'], code: 'LIMIT' | 'UNAVAILABLE', text: string): AuthRefusal {
  // LOGIN prints `NO [code] message`; AUTHENTICATE prints `NO message`, so the code goes in the text.
  const err = new Error(method === 'LOGIN' ? text : `[${code}] ${text}`) as AuthRefusal;
  err.response = 'NO';
  if (method === 'LOGIN') err.code = code;
  return err;
}

export function onAuth(ctx: ImapContext) {
  return (login: AuthRequest, session: EngineSession, callback: (err: Error | null, result?: { user: { id: number; username: string } }) => void): void => {
    authenticate(ctx, login, session).then(
      (user) => callback(null, user ? { user } : undefined),
      (err: Error) => callback(err),
    );
  };
}

async function authenticate(ctx: ImapContext, login: AuthRequest, session: EngineSession): Promise<{ id: number; username: string } | undefined> {
  const log = ctx.logger.child({ session: session.id, ip: session.remoteAddress });
  let account;
  try {
    account = await ctx.throttle.authenticate(ctx.accounts, login.username, login.password, session.remoteAddress);
  } catch (err) {
    if (isServiceError(err, 'auth_failed')) {
      log.info('authentication failed', { method: login.method });
      // The engine answers `NO [AUTHENTICATIONFAILED] Invalid credentials`.
      return undefined;
    }
    if (isServiceError(err, 'throttled')) {
      log.warn('authentication throttled', { method: login.method });
      throw refusal(login.method, 'LIMIT', AUTH_TEXT.throttled);
    }
    log.warn('authentication unavailable', { err });
    throw refusal(login.method, 'UNAVAILABLE', AUTH_TEXT.unavailable);
  }
  try {
    await ctx.messages.rewrapPending(account);
  } catch (err) {
    account.lock();
    log.warn('re-wrap at login failed', { err });
    throw refusal(login.method, 'UNAVAILABLE', AUTH_TEXT.unavailable);
  }
  // A second login on the same connection is refused by the engine (state check), so there
  // is never an earlier account to lock here.
  ctx.sessions.set(session, { account });
  log.info('authenticated', { userId: account.userId, method: login.method });
  return { id: account.userId, username: account.address };
}

/** Locks the connection's key and ends its notifier subscription. */
export function onClose(ctx: ImapContext) {
  return (session: EngineSession, done: () => void): void => {
    const state = ctx.sessions.get(session);
    if (state) {
      state.unsubscribe?.();
      state.account.lock();
      ctx.sessions.delete(session);
    }
    done();
  };
}

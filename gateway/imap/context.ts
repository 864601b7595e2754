// What every IMAP hook gets: the services, the logger, and the state of each connection
// (its unlocked account, its notifier subscription). State lives in a WeakMap keyed by the
// engine's session object, so it goes away with the connection.
import type { AccountService } from '../../services/account-service.js';
import type { LoginThrottle } from '../../services/login-throttle.js';
import type { MailboxService } from '../../services/mailbox-service.js';
import type { MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { Notifier } from '../../storage/notifier.js';
import type { Logger } from '../log.js';
import type { EngineSession } from './engine.js';

export interface ImapServices {
  readonly accounts: Pick<AccountService, 'authenticate'>;
  readonly throttle: Pick<LoginThrottle, 'authenticate'>;
  readonly mailboxes: MailboxService;
  readonly messages: MessageService;
  readonly notifier: Pick<Notifier, 'subscribe'>;
  readonly logger: Logger;
}

export interface SessionState {
  readonly account: UnlockedAccount;
  /** Ends the notifier subscription of this connection, if IDLE/updates are on. */
  unsubscribe?: () => void;
}

export interface ImapContext extends ImapServices {
  readonly sessions: WeakMap<EngineSession, SessionState>;
}

export function createContext(services: ImapServices): ImapContext {
  return { ...services, sessions: new WeakMap() };
}

/** The unlocked account of a logged-in session; the engine runs no mailbox hook before login. */
export function accountOf(ctx: ImapContext, session: EngineSession): UnlockedAccount {
  const state = ctx.sessions.get(session);
  if (!state) throw new Error(`IMAP session ${session.id} has no account`);
  return state.account;
}

// One account's changes as StateChanges (RFC 8620 §7.1), for every push transport (EventSource,
// WebSocket): the feed follows the user's ChangeEvents (the notifier IMAP IDLE uses, so a change
// made over IMAP or in another process is heard too), coalesces a burst, asks the journal which
// types changed and reports only the wanted ones, with the state they changed to.
import type { Change, MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { ChangeEvent, Notifier } from '../../storage/notifier.js';
import type { Logger } from '../log.js';
import { accountIdOf } from './ids.js';
import { stateOf } from './state.js';

/** Events arriving within this long after the first of a burst become one StateChange. */
export const PUSH_COALESCE_MS = 50;

/** The types with a /get here, in the order a StateChange lists them (`types=*`). */
export const PUSH_TYPES = ['Email', 'Mailbox', 'Thread', 'Identity'] as const;
export type PushType = (typeof PUSH_TYPES)[number];

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(PUSH_TYPES);

/** The wanted types this server has, or undefined when a name is not a type name at all. */
export function pushTypesOf(names: readonly string[]): ReadonlySet<PushType> | undefined {
  if (!names.every((n) => TYPE_NAME.test(n))) return undefined;
  return new Set(names.filter((n): n is PushType => KNOWN_TYPES.has(n)));
}

export interface FeedDependencies {
  readonly notifier: Pick<Notifier, 'subscribe'>;
  readonly messages: Pick<MessageService, 'changesSince'>;
  readonly logger: Logger;
  readonly coalesceMs?: number;
}

export interface FeedOptions {
  /** The types to report; names the server does not have (EmailDelivery, ...) never change. */
  readonly types: ReadonlySet<PushType>;
  /** A modseq the client already has: changes after it are reported at once. Default: the current one. */
  readonly since?: number;
  /** Some wanted types changed; the account's state is now `modseq`. */
  readonly onChange: (changed: readonly PushType[], modseq: number) => void;
  /** The journal could not be read: the feed has stopped (the client reconnects and compares states). */
  readonly onError: (err: unknown) => void;
}

export interface StateChangeFeed {
  /** Resolves once the starting state is read: every change from then on is reported. Rejects when the feed could not start. */
  readonly ready: Promise<void>;
  /** Stops following; nothing is reported afterwards. */
  stop(): void;
}

export interface StateChange {
  readonly '@type': 'StateChange';
  readonly changed: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** RFC 8887 §4.3.5: the token a client gives back in WebSocketPushEnable to catch up. */
  readonly pushState?: string;
}

export function stateChangeOf(account: Pick<UnlockedAccount, 'userId'>, changed: readonly PushType[], modseq: number, withPushState = false): StateChange {
  const state = stateOf(modseq);
  const types = Object.fromEntries(changed.map((t) => [t, state]));
  return { '@type': 'StateChange', changed: { [accountIdOf(account.userId)]: types }, ...(withPushState ? { pushState: state } : {}) };
}

export function followStateChanges(account: UnlockedAccount, deps: FeedDependencies, opts: FeedOptions): StateChangeFeed {
  const coalesceMs = deps.coalesceMs ?? PUSH_COALESCE_MS;
  /** Kinds heard since the last flush (the journal tells email and mailbox changes; these tell the rest). */
  const heard = new Set<ChangeEvent['kind']>();
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing = false;
  let stopped = false;
  /** Until the starting state is read, events are only noted: what they announce may be in it. */
  let started = false;
  let known = 0;

  const flush = async (): Promise<void> => {
    flushTimer = undefined;
    flushing = true;
    const kinds = new Set(heard);
    heard.clear();
    try {
      const { modseq, changes } = await deps.messages.changesSince(account, known);
      if (stopped || modseq <= known) return;
      known = modseq;
      const changed = changedTypes(changes, kinds).filter((t) => opts.types.has(t));
      if (changed.length > 0) opts.onChange(changed, modseq);
    } catch (err) {
      stop();
      opts.onError(err);
    } finally {
      flushing = false;
      if (heard.size > 0) schedule();
    }
  };
  const schedule = (): void => {
    if (!started || flushTimer || flushing || stopped) return;
    flushTimer = setTimeout(() => void flush(), coalesceMs);
  };

  // Subscribe first, then read the state: a change in between is heard, not missed.
  const unsubscribe = deps.notifier.subscribe(account.userId, (event) => {
    heard.add(event.kind);
    schedule();
  });
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearTimeout(flushTimer);
  };
  const start = async (): Promise<void> => {
    await unsubscribe.ready;
    const current = (await deps.messages.changesSince(account, Number.MAX_SAFE_INTEGER)).modseq;
    // A state from the future (another server's, or made up) is no starting point.
    known = opts.since !== undefined && opts.since <= current ? opts.since : current;
    started = true;
    if (known < current) void flush();
    else if (heard.size > 0) schedule();
  };
  const ready = start().catch((err: unknown) => {
    stop();
    throw err;
  });
  return { ready, stop };
}

/**
 * The types whose data changed, from the journal entries after the last state (what the
 * /changes methods report) and the event kinds heard. Every Email change is a Mailbox one (its
 * counts; Mailbox/changes reports it so); Threads change only when an Email row comes or goes,
 * not on a keyword change. A state that moved with nothing journaled changes every type.
 */
export function changedTypes(changes: readonly Pick<Change, 'kind' | 'op' | 'mailboxId'>[], kinds: ReadonlySet<ChangeEvent['kind']>): PushType[] {
  const types = new Set<PushType>();
  for (const c of changes) {
    if (c.kind === 'mailbox') types.add('Mailbox');
    else {
      types.add('Email');
      if (c.mailboxId !== null) types.add('Mailbox');
      if (c.op !== 'updated') types.add('Thread');
    }
  }
  if (kinds.has('thread')) types.add('Thread');
  if (kinds.has('identity')) types.add('Identity');
  if (types.size === 0 && changes.length === 0) return [...PUSH_TYPES];
  return PUSH_TYPES.filter((t) => types.has(t));
}

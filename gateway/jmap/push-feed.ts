// One account's changes as StateChanges (RFC 8620 §7.1), for every push transport (EventSource,
// WebSocket): the feed follows the user's ChangeEvents (the notifier IMAP IDLE uses, so a change
// made over IMAP or in another process is heard too), asks the journal and the events' kinds
// which types changed and reports only the wanted ones, with the state they changed to. A change
// after a quiet spell goes out on the next turn of the event loop; a burst is gathered into at
// most one StateChange per PUSH_COALESCE_MS.
import type { Change, MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { ChangeEvent, Notifier } from '../../storage/notifier.js';
import type { Logger } from '../log.js';
import { accountIdOf } from './ids.js';
import { policyState } from './methods/postage-policy-get.js';
import type { JmapPostageServices } from './postage-objects.js';
import { stateOf } from './state.js';

/**
 * The least time between two StateChanges of one feed. A change heard this long or more after
 * the last flush began is pushed at once; changes heard sooner wait for the end of this window
 * and go out together, so a burst of deliveries costs a client at most one StateChange per window.
 */
export const PUSH_COALESCE_MS = 25;

/** The types whose state is the account's modseq (state.ts). */
export const MODSEQ_TYPES = ['Email', 'Mailbox', 'Thread', 'Identity', 'EmailSubmission', 'VacationResponse'] as const;
/** The postage capability's types (docs/jmap-postage.md): each has a state of its own, read again after a `postage` event. */
export const POSTAGE_TYPES = ['Postage', 'PostagePolicy', 'Contact'] as const;
/** The types with a /get here whose state can change, in the order a StateChange lists them (`types=*`). */
export const PUSH_TYPES = [...MODSEQ_TYPES, ...POSTAGE_TYPES] as const;
export type PushType = (typeof PUSH_TYPES)[number];
type ModseqType = (typeof MODSEQ_TYPES)[number];
type PostageType = (typeof POSTAGE_TYPES)[number];
/** The new state of each changed type, in PUSH_TYPES order. */
export type ChangedStates = Readonly<Partial<Record<PushType, string>>>;

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
  /** The postage services while the gateway runs postage: then its types are pushed too. */
  readonly postage?: () => JmapPostageServices | undefined;
  readonly logger: Logger;
  readonly coalesceMs?: number;
}

export interface FeedOptions {
  /** The types to report; names the server does not have (EmailDelivery, ...) never change. */
  readonly types: ReadonlySet<PushType>;
  /** A modseq the client already has: changes after it are reported at once. Default: the current one. */
  readonly since?: number;
  /** Some wanted types changed, to these states; the account's modseq is now `modseq`. */
  readonly onChange: (states: ChangedStates, modseq: number) => void;
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

/** The StateChange of one account; with `pushState` (WebSocket), the account's modseq as the token. */
export function stateChangeOf(account: Pick<UnlockedAccount, 'userId'>, states: ChangedStates, pushState?: number): StateChange {
  return { '@type': 'StateChange', changed: { [accountIdOf(account.userId)]: { ...states } }, ...(pushState === undefined ? {} : { pushState: stateOf(pushState) }) };
}

/** The states of the postage types, as Postage/get, PostagePolicy/get and Contact/get report them. */
async function postageStates(account: Pick<UnlockedAccount, 'userId'>, services: JmapPostageServices): Promise<Record<PostageType, string>> {
  const [cases, policy, contacts] = await Promise.all([
    services.postage.casesVersion(account.userId), services.postage.policy(account.userId), services.contacts.version(account.userId),
  ]);
  return { Postage: String(cases), PostagePolicy: policyState(policy), Contact: contacts };
}

export function followStateChanges(account: UnlockedAccount, deps: FeedDependencies, opts: FeedOptions): StateChangeFeed {
  const coalesceMs = deps.coalesceMs ?? PUSH_COALESCE_MS;
  /** Kinds heard since the last flush (the journal tells email and mailbox changes; these tell the rest). */
  const heard = new Set<ChangeEvent['kind']>();
  let flushTimer: NodeJS.Timeout | undefined;
  let flushImmediate: NodeJS.Immediate | undefined;
  /** When the last flush began (performance.now()); the next may begin coalesceMs after it. */
  let lastFlush = -Infinity;
  let flushing = false;
  let stopped = false;
  /** Until the starting state is read, events are only noted: what they announce may be in it. */
  let started = false;
  let known = 0;
  const wantsPostage = POSTAGE_TYPES.some((t) => opts.types.has(t));
  /** The postage types' states last reported (or read at the start); undefined while the gateway runs no postage. */
  let postageKnown: Record<PostageType, string> | undefined;
  const readPostage = async (): Promise<Record<PostageType, string> | undefined> => {
    const services = wantsPostage ? deps.postage?.() : undefined;
    return services ? postageStates(account, services) : undefined;
  };
  const noPostage = async (): Promise<undefined> => undefined;

  const flush = async (): Promise<void> => {
    flushTimer = undefined;
    flushImmediate = undefined;
    flushing = true;
    lastFlush = performance.now();
    const kinds = new Set(heard);
    heard.clear();
    try {
      // Every change of a case, the policy or a contact announces itself with a `postage` event (services/contact-service.ts, postage-service.ts).
      const [{ modseq, changes }, postageNow] = await Promise.all([deps.messages.changesSince(account, known), kinds.has('postage') ? readPostage() : noPostage()]);
      if (stopped) return;
      let changed: ModseqType[];
      if (modseq > known) {
        changed = changedTypes(changes, kinds);
        known = modseq;
      } else {
        // An event whose change an earlier flush already counted in the state (it committed
        // before that flush read the state, its event came after): only the event names its type.
        changed = typesOfKinds(kinds);
      }
      const states: Partial<Record<PushType, string>> = {};
      for (const t of PUSH_TYPES) {
        if (!opts.types.has(t)) continue;
        if ((changed as readonly PushType[]).includes(t)) states[t] = stateOf(known);
        else if (postageNow && postageKnown && (POSTAGE_TYPES as readonly PushType[]).includes(t) && postageNow[t as PostageType] !== postageKnown[t as PostageType]) {
          states[t] = postageNow[t as PostageType];
        }
      }
      if (postageNow) postageKnown = postageNow;
      if (Object.keys(states).length > 0) opts.onChange(states, known);
    } catch (err) {
      stop();
      opts.onError(err);
    } finally {
      flushing = false;
      if (heard.size > 0) schedule();
    }
  };
  const schedule = (): void => {
    if (!started || flushTimer || flushImmediate || flushing || stopped) return;
    const wait = lastFlush + coalesceMs - performance.now();
    // The next turn of the event loop, not this one: events published together (one per mailbox of an operation) make one flush.
    if (wait <= 0) flushImmediate = setImmediate(() => void flush());
    else flushTimer = setTimeout(() => void flush(), wait);
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
    if (flushImmediate) clearImmediate(flushImmediate);
  };
  const start = async (): Promise<void> => {
    await unsubscribe.ready;
    const [{ modseq: current }, postage] = await Promise.all([deps.messages.changesSince(account, Number.MAX_SAFE_INTEGER), readPostage()]);
    // Postage states keep no history: a catch-up (`since`) reports only the modseq types.
    postageKnown = postage;
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

/** The types only an event names: their changes are kept outside the mail journal (identities, EmailSubmissions, the vacation response). */
const KIND_TYPES: Partial<Record<ChangeEvent['kind'], ModseqType>> = { thread: 'Thread', identity: 'Identity', submission: 'EmailSubmission', vacation: 'VacationResponse' };

function typesOfKinds(kinds: ReadonlySet<ChangeEvent['kind']>): ModseqType[] {
  const types = new Set([...kinds].flatMap((k) => KIND_TYPES[k] ?? []));
  return MODSEQ_TYPES.filter((t) => types.has(t));
}

/**
 * The types whose data changed, from the journal entries after the last state (what the
 * /changes methods report) and the event kinds heard. Every Email change is a Mailbox one (its
 * counts; Mailbox/changes reports it so); Threads change only when an Email row comes or goes,
 * not on a keyword change. A state that moved with nothing journaled and no event to name the
 * type (one whose event has not arrived yet) changes every type.
 */
export function changedTypes(changes: readonly Pick<Change, 'kind' | 'op' | 'mailboxId'>[], kinds: ReadonlySet<ChangeEvent['kind']>): ModseqType[] {
  const types = new Set<ModseqType>(typesOfKinds(kinds));
  for (const c of changes) {
    if (c.kind === 'mailbox') types.add('Mailbox');
    else {
      types.add('Email');
      if (c.mailboxId !== null) types.add('Mailbox');
      if (c.op !== 'updated') types.add('Thread');
    }
  }
  if (types.size === 0 && changes.length === 0) return [...MODSEQ_TYPES];
  return MODSEQ_TYPES.filter((t) => types.has(t));
}

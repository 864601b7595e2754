// JMAP push over Server-Sent Events (RFC 8620 §7.3): GET at the session's eventSourceUrl with
// `types`, `closeafter` and `ping`. The stream follows the user's ChangeEvents (the notifier
// IMAP IDLE uses, so a change made over IMAP or in another process is heard too), coalesces a
// burst, asks the journal which types changed and pushes a StateChange naming only those.
import type { Change, MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { ChangeEvent, Notifier } from '../../storage/notifier.js';
import { aborted, sseResponse, type SseSink } from '../http/sse.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import type { Logger } from '../log.js';
import { problemResponse } from './errors.js';
import { accountIdOf } from './ids.js';
import { stateOf } from './state.js';

/** Events arriving within this long after the first of a burst become one StateChange. */
export const PUSH_COALESCE_MS = 50;
/** The shortest `ping` interval served, in seconds; a smaller non-zero one is raised to it (and the ping says so). */
export const PUSH_MIN_PING_SECONDS = 5;
/** The largest `ping` accepted, in seconds; more is a 400 (a timer cannot wait much longer). */
export const PUSH_MAX_PING_SECONDS = 86_400;

/** The comment sent once the stream follows the account: any later change is pushed. */
export const PUSH_READY_COMMENT = 'ready';

/** The types with a /get here, in the order a StateChange lists them (`types=*`). */
export const PUSH_TYPES = ['Email', 'Mailbox', 'Thread', 'Identity'] as const;
export type PushType = (typeof PUSH_TYPES)[number];

export const PUSH_DETAIL = {
  types: 'types must be "*" or a comma-separated list of type names',
  closeafter: 'closeafter must be "state" or "no"',
  ping: `ping must be a whole number of seconds from 0 to ${PUSH_MAX_PING_SECONDS}`,
} as const;

export interface PushQuery {
  /** The asked types this server has; names it does not have (EmailDelivery, ...) never change. */
  readonly types: ReadonlySet<PushType>;
  readonly closeAfterState: boolean;
  /** Seconds between pings as served (after the minimum), 0 for none. */
  readonly pingSeconds: number;
}

export interface PushDependencies {
  readonly notifier: Pick<Notifier, 'subscribe'>;
  readonly messages: Pick<MessageService, 'changesSince'>;
  readonly logger: Logger;
  readonly coalesceMs?: number;
  readonly minPingSeconds?: number;
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(PUSH_TYPES);

/**
 * The query of an event-source request, or a 400 problem. A missing parameter takes its
 * default (`*`, `no`, 0): the session's template names all three, so a client fills them in.
 */
export function parsePushQuery(query: URLSearchParams, minPingSeconds = PUSH_MIN_PING_SECONDS): { ok: true; query: PushQuery } | { ok: false; response: HttpResponse } {
  const one = (name: string): string | undefined | null => {
    const values = query.getAll(name);
    return values.length > 1 ? null : values[0];
  };
  const types = one('types');
  const closeafter = one('closeafter');
  const ping = one('ping');
  let asked: ReadonlySet<PushType> | undefined;
  if (types === undefined || types === '*') asked = new Set(PUSH_TYPES);
  else if (types !== null) {
    const names = types.split(',');
    if (names.every((n) => TYPE_NAME.test(n))) asked = new Set(names.filter((n): n is PushType => KNOWN_TYPES.has(n)));
  }
  if (!asked) return { ok: false, response: badRequest(PUSH_DETAIL.types) };
  if (closeafter === null || (closeafter !== undefined && closeafter !== 'state' && closeafter !== 'no')) return { ok: false, response: badRequest(PUSH_DETAIL.closeafter) };
  if (ping === null || (ping !== undefined && !/^(0|[1-9][0-9]{0,5})$/.test(ping)) || Number(ping ?? 0) > PUSH_MAX_PING_SECONDS) {
    return { ok: false, response: badRequest(PUSH_DETAIL.ping) };
  }
  const seconds = Number(ping ?? 0);
  return { ok: true, query: { types: asked, closeAfterState: closeafter === 'state', pingSeconds: seconds === 0 ? 0 : Math.max(seconds, minPingSeconds) } };
}

/** The event stream of one logged-in account, or a 400 for a bad query. */
export function eventSource(request: HttpRequest, account: UnlockedAccount, deps: PushDependencies): HttpResponse {
  const parsed = parsePushQuery(request.query, deps.minPingSeconds);
  if (!parsed.ok) return parsed.response;
  return sseResponse((sink, signal) => push(sink, signal, account, parsed.query, deps));
}

async function push(sink: SseSink, signal: AbortSignal, account: UnlockedAccount, query: PushQuery, deps: PushDependencies): Promise<void> {
  const coalesceMs = deps.coalesceMs ?? PUSH_COALESCE_MS;
  const accountId = accountIdOf(account.userId);
  let finish = (): void => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let pingTimer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  /** Kinds heard since the last flush (the journal tells email and mailbox changes; these tell the rest). */
  const heard = new Set<ChangeEvent['kind']>();
  let flushing = false;
  let closed = false;
  /** Until the starting state is read, events are only noted: what they announce may be in it. */
  let started = false;
  let known = 0;

  // A ping is due `pingSeconds` after the last event of either kind (RFC 8620 §7.3).
  const armPing = (): void => {
    if (query.pingSeconds === 0) return;
    clearTimeout(pingTimer);
    pingTimer = setTimeout(() => {
      sink.event('ping', JSON.stringify({ interval: query.pingSeconds }));
      armPing();
    }, query.pingSeconds * 1000);
  };

  const flush = async (): Promise<void> => {
    flushTimer = undefined;
    flushing = true;
    const kinds = new Set(heard);
    heard.clear();
    try {
      const { modseq, changes } = await deps.messages.changesSince(account, known);
      if (closed || signal.aborted || modseq <= known) return;
      known = modseq;
      const state = stateOf(modseq);
      const changed = changedTypes(changes, kinds).filter((t) => query.types.has(t));
      if (changed.length === 0) return;
      sink.event('state', JSON.stringify({ '@type': 'StateChange', changed: { [accountId]: Object.fromEntries(changed.map((t) => [t, state])) } }));
      armPing();
      if (query.closeAfterState) finish();
    } catch (err) {
      // The client reconnects and compares states; a stream that cannot read the journal ends.
      deps.logger.warn('JMAP push failed', { err });
      finish();
    } finally {
      flushing = false;
      if (heard.size > 0) schedule();
    }
  };
  const schedule = (): void => {
    if (!started || flushTimer || flushing || closed || signal.aborted) return;
    flushTimer = setTimeout(() => void flush(), coalesceMs);
  };

  // Subscribe first, then read the state: a change in between is heard, not missed.
  const unsubscribe = deps.notifier.subscribe(account.userId, (event) => {
    heard.add(event.kind);
    schedule();
  });
  try {
    await unsubscribe.ready;
    known = (await deps.messages.changesSince(account, Number.MAX_SAFE_INTEGER)).modseq;
    started = true;
    // Says that every change from here on is reported (clients ignore comments; tests wait for it).
    sink.comment(PUSH_READY_COMMENT);
    if (heard.size > 0) schedule();
    armPing();
    await Promise.race([finished, aborted(signal)]);
  } catch (err) {
    deps.logger.warn('JMAP push could not start', { err });
  } finally {
    closed = true;
    unsubscribe();
    clearTimeout(pingTimer);
    clearTimeout(flushTimer);
  }
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

function badRequest(detail: string): HttpResponse {
  return problemResponse(400, { type: 'about:blank', status: 400, detail });
}

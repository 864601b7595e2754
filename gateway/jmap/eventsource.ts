// JMAP push over Server-Sent Events (RFC 8620 §7.3): GET at the session's eventSourceUrl with
// `types`, `closeafter` and `ping`. The stream is a StateChange feed (push-feed.ts: the user's
// ChangeEvents, coalesced, checked against the journal) written as `state` events, with pings.
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { aborted, sseResponse, type SseSink } from '../http/sse.js';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { badRequest } from './errors.js';
import { followStateChanges, PUSH_TYPES, pushTypesOf, stateChangeOf, type FeedDependencies, type PushType } from './push-feed.js';

/** The shortest `ping` interval served, in seconds; a smaller non-zero one is raised to it (and the ping says so). */
export const PUSH_MIN_PING_SECONDS = 5;
/** The largest `ping` accepted, in seconds; more is a 400 (a timer cannot wait much longer). */
export const PUSH_MAX_PING_SECONDS = 86_400;

/** The comment sent once the stream follows the account: any later change is pushed. */
export const PUSH_READY_COMMENT = 'ready';

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

export interface PushDependencies extends FeedDependencies {
  readonly minPingSeconds?: number;
}

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
  else if (types !== null) asked = pushTypesOf(types.split(','));
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
  let finish = (): void => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let pingTimer: NodeJS.Timeout | undefined;

  // A ping is due `pingSeconds` after the last event of either kind (RFC 8620 §7.3).
  const armPing = (): void => {
    if (query.pingSeconds === 0) return;
    clearTimeout(pingTimer);
    pingTimer = setTimeout(() => {
      sink.event('ping', JSON.stringify({ interval: query.pingSeconds }));
      armPing();
    }, query.pingSeconds * 1000);
  };

  const feed = followStateChanges(account, deps, {
    types: query.types,
    onChange(states) {
      sink.event('state', JSON.stringify(stateChangeOf(account, states)));
      armPing();
      if (query.closeAfterState) finish();
    },
    onError(err) {
      // The client reconnects and compares states; a stream that cannot read the journal ends.
      deps.logger.warn('JMAP push failed', { err });
      finish();
    },
  });
  try {
    await feed.ready;
    // Says that every change from here on is reported (clients ignore comments; tests wait for it).
    sink.comment(PUSH_READY_COMMENT);
    armPing();
    await Promise.race([finished, aborted(signal)]);
  } catch (err) {
    deps.logger.warn('JMAP push could not start', { err });
  } finally {
    feed.stop();
    clearTimeout(pingTimer);
  }
}

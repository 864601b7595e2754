// The postage pay page a stranger reaches from the auto-reply: GET /pay/:id (server-rendered,
// works without JavaScript), GET /pay/:id/events (its live status as Server-Sent Events) and,
// in development mode only, POST /pay/:id/dev-pay. The postage service behind it is a PaySource.
import QRCode from 'qrcode';
import { errorResponse } from '../errors.js';
import { aborted, sseResponse } from '../sse.js';
import type { HttpResponse, Route, RoutedRequest } from '../types.js';
import { PAY_PAGE_CSP, renderPayPage, type PayDisplayState } from './pay-html.js';

export type PayState = 'open' | 'held' | 'settled' | 'canceled' | 'expired';

export interface PayView {
  /** Opaque public id, [A-Za-z0-9_-]{22}. */
  readonly id: string;
  /** held or settled = "Delivered". */
  readonly state: PayState;
  readonly amountSats: number;
  /** The recipient's address. */
  readonly recipient: string;
  /** The sender's subject line: untrusted text. */
  readonly subject: string;
  readonly bolt11: string;
  /** Unix ms. */
  readonly expiresAt: number;
}

export interface PaySource {
  view(id: string): Promise<PayView | undefined>;
  /** Calls onChange on every state change; returns the unsubscribe function. */
  watch(id: string, onChange: (view: PayView) => void): () => void;
  /** Present only in development mode: pays the invoice through the dev Lightning backend. */
  readonly devPay?: (id: string) => Promise<void>;
}

export interface PayRouteOptions {
  readonly devMode: boolean;
  /** Unix ms; Date.now by default. */
  readonly now?: () => number;
  /** The event stream's ping interval; SSE_PING_INTERVAL_MS (25 s) by default. */
  readonly pingIntervalMs?: number;
}

/** The public id's shape; anything else is a 404 before the source is asked. */
export const PAY_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** The longest setTimeout delay Node keeps (about 24.8 days); a later expiry is re-checked then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Headers on every pay reply: no caching, no referrer (the URL is a capability), no sniffing. */
const PRIVATE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

export function payRoutes(source: PaySource, options: PayRouteOptions): Route[] {
  const now = options.now ?? Date.now;
  const params = { id: PAY_ID_PATTERN };
  const devPay = options.devMode ? source.devPay : undefined;

  /** The view behind a request's id, or undefined (every miss is the router's generic 404). */
  const find = async (request: RoutedRequest): Promise<PayView | undefined> => {
    const id = request.params['id'] ?? '';
    if (!PAY_ID_PATTERN.test(id)) return undefined;
    const view = await source.view(id);
    return view?.id === id ? view : undefined;
  };

  const page = async (request: RoutedRequest): Promise<HttpResponse> => {
    const view = await find(request);
    if (!view) return errorResponse('not_found');
    const at = now();
    const qrSvg = await QRCode.toString(`lightning:${view.bolt11}`.toUpperCase(), { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    const html = renderPayPage({
      id: view.id,
      state: displayState(view, at),
      amountSats: view.amountSats,
      recipient: view.recipient,
      subject: view.subject,
      bolt11: view.bolt11,
      expiresAt: view.expiresAt,
      expiresInMs: view.expiresAt - at,
      qrSvg,
      devPay: devPay !== undefined,
    });
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAY_PAGE_CSP, ...PRIVATE_HEADERS },
      body: html,
    };
  };

  const events = async (request: RoutedRequest): Promise<HttpResponse> => {
    const view = await find(request);
    if (!view) return errorResponse('not_found');
    const id = view.id;
    const pingIntervalMs = options.pingIntervalMs;
    return sseResponse(
      async (sink, signal) => {
        let last: PayState | undefined;
        let finish = (): void => {};
        const finished = new Promise<void>((resolve) => (finish = resolve));
        // Once past open the page's part is over (held is already "Delivered"), so the stream ends.
        const send = (state: PayState): void => {
          if (state === last || (last !== undefined && last !== 'open')) return;
          last = state;
          sink.event('state', JSON.stringify({ state }));
          if (state !== 'open') finish();
        };
        let timer: NodeJS.Timeout | undefined;
        // Watch first, then read: a change between the two is not missed, and a stale read after it is ignored.
        const unsubscribe = source.watch(id, (changed) => send(shownState(changed, now())));
        try {
          const current = await source.view(id);
          if (!current) return; // gone since the request was routed: nothing to report
          send(shownState(current, now()));
          // Nothing may announce an expiry, so the stream looks again when it is due.
          const recheck = (): void => {
            const due = view.expiresAt - now();
            if (due > 0) {
              timer = setTimeout(recheck, Math.min(due, MAX_TIMER_MS));
              return;
            }
            source.view(id).then(
              (seen) => send(seen ? shownState(seen, now()) : 'expired'),
              () => send('expired'),
            );
          };
          if (last === 'open') recheck();
          await Promise.race([finished, aborted(signal)]);
        } finally {
          clearTimeout(timer);
          unsubscribe();
        }
      },
      { headers: PRIVATE_HEADERS, ...(pingIntervalMs === undefined ? {} : { pingIntervalMs }) },
    );
  };

  const routes: Route[] = [
    { path: '/pay/:id', params, methods: { GET: page } },
    { path: '/pay/:id/events', params, methods: { GET: events } },
  ];
  if (devPay) {
    const pay = async (request: RoutedRequest): Promise<HttpResponse> => {
      const view = await find(request);
      if (!view) return errorResponse('not_found');
      if (displayState(view, now()) === 'open') await devPay(view.id);
      return { status: 303, headers: { location: `/pay/${view.id}`, ...PRIVATE_HEADERS }, body: '' };
    };
    routes.push({ path: '/pay/:id/dev-pay', params, methods: { POST: pay } });
  }
  return routes;
}

/** The state as of `at`: an open invoice past its expiry is expired even if nobody said so. */
function shownState(view: PayView, at: number): PayState {
  return view.state === 'open' && at >= view.expiresAt ? 'expired' : view.state;
}

export function displayState(view: PayView, at: number): PayDisplayState {
  const state = shownState(view, at);
  return state === 'held' || state === 'settled' ? 'delivered' : state;
}

// The JMAP HTTP routes: GET /.well-known/jmap (the session), POST /jmap/api, GET
// /jmap/download/:accountId/:blobId/:name (download.ts) and GET /jmap/eventsource (push,
// eventsource.ts), all behind Basic or Bearer authentication.
// The API takes bodies up to maxSizeRequest and at most maxConcurrentRequests requests of
// one account at once; past either it answers `limit`.
import type { Rng } from '../../core/index.js';
import type { AccountService } from '../../services/account-service.js';
import type { LoginThrottle } from '../../services/login-throttle.js';
import type { MessageService } from '../../services/message-service.js';
import type { Notifier } from '../../storage/notifier.js';
import { jsonResponse } from '../http/json.js';
import type { HttpRequest, HttpResponse, Route, RoutedRequest } from '../http/types.js';
import type { Logger } from '../log.js';
import { runRequest } from './api.js';
import { BasicAuth } from './auth.js';
import type { JmapServices } from './context.js';
import { downloadBlob } from './download.js';
import { eventSource } from './eventsource.js';
import { requestError } from './errors.js';
import { accountIdOf } from './ids.js';
import { MAX_CONCURRENT_REQUESTS, MAX_SIZE_REQUEST } from './limits.js';
import { METHODS } from './methods/index.js';
import { parseJmapRequest } from './request.js';
import { DOWNLOAD_ROUTE, EVENT_SOURCE_ROUTE, JMAP_PATHS, sessionResource } from './session.js';

export interface JmapDependencies extends JmapServices {
  /** Where clients reach this HTTP listener, e.g. "https://mail.example.org"; session URLs start with it. */
  readonly baseUrl: () => string;
  readonly accounts: Pick<AccountService, 'authenticate' | 'authenticateToken' | 'tokenActive'>;
  readonly throttle: Pick<LoginThrottle, 'authenticate'>;
  readonly messages: JmapServices['messages'] & Pick<MessageService, 'rewrapPending'>;
  /** The change notifier the services publish to; push streams subscribe to it per user. */
  readonly notifier: Pick<Notifier, 'subscribe'>;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now?: () => number;
}

export function jmapRoutes(deps: JmapDependencies): Route[] {
  const auth = new BasicAuth({ accounts: deps.accounts, throttle: deps.throttle, messages: deps.messages, logger: deps.logger, rng: deps.rng, ...(deps.now ? { now: deps.now } : {}) });
  const inFlight = new Map<number, number>();

  const session = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return jsonResponse(200, sessionResource(deps.baseUrl(), login.account));
  };

  const api = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    const parsed = parseJmapRequest(request);
    if (!parsed.ok) return parsed.response;
    const account = login.account;
    const running = inFlight.get(account.userId) ?? 0;
    if (running >= MAX_CONCURRENT_REQUESTS) {
      return requestError('limit', `at most ${MAX_CONCURRENT_REQUESTS} requests at once`, { limit: 'maxConcurrentRequests', status: 429 });
    }
    inFlight.set(account.userId, running + 1);
    try {
      const sessionState = sessionResource(deps.baseUrl(), account)['state'] as string;
      const ctx = { mailboxes: deps.mailboxes, messages: deps.messages, account, accountId: accountIdOf(account.userId) };
      return jsonResponse(200, await runRequest(parsed.request, ctx, { methods: METHODS, sessionState, logger: deps.logger }));
    } finally {
      const left = (inFlight.get(account.userId) ?? 1) - 1;
      if (left === 0) inFlight.delete(account.userId);
      else inFlight.set(account.userId, left);
    }
  };

  const download = async (request: RoutedRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return downloadBlob(request, login.account, deps.messages);
  };

  const push = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return eventSource(request, login.account, { notifier: deps.notifier, messages: deps.messages, logger: deps.logger });
  };

  return [
    { path: JMAP_PATHS.session, methods: { GET: session } },
    { path: DOWNLOAD_ROUTE, methods: { GET: download } },
    // RFC 8620's example URL ends in a slash; either spelling is served.
    { path: EVENT_SOURCE_ROUTE, methods: { GET: push } },
    { path: `${EVENT_SOURCE_ROUTE}/`, methods: { GET: push } },
    {
      path: JMAP_PATHS.api,
      methods: { POST: api },
      maxBodyBytes: MAX_SIZE_REQUEST,
      tooLarge: () => requestError('limit', `requests are limited to ${MAX_SIZE_REQUEST} bytes`, { limit: 'maxSizeRequest', status: 413 }),
    },
  ];
}

// The JMAP HTTP routes: GET /.well-known/jmap (the session), POST /jmap/api, GET
// /jmap/download/:accountId/:blobId/:name (download.ts) and GET /jmap/eventsource (push,
// eventsource.ts), POST /jmap/upload/:accountId/ (upload.ts) and the WebSocket at /jmap/ws
// (websocket.ts), all behind Basic or Bearer authentication. The API and upload routes check
// the credentials on the request head, before the body is read: an unauthenticated client
// cannot make the gateway buffer up to maxSizeRequest or maxSizeUpload bytes.
// The API takes bodies up to maxSizeRequest and at most maxConcurrentRequests requests of
// one account at once (HTTP and WebSocket together); past either it answers `limit`.
import type { Rng } from '../../core/index.js';
import type { AccountService } from '../../services/account-service.js';
import type { BlobService } from '../../services/blob-service.js';
import type { LoginThrottle } from '../../services/login-throttle.js';
import type { MessageService } from '../../services/message-service.js';
import type { Notifier } from '../../storage/notifier.js';
import { jsonResponse } from '../http/json.js';
import type { HttpRequest, HttpRequestHead, HttpResponse, Route, RoutedRequest } from '../http/types.js';
import type { Logger } from '../log.js';
import { RequestRunner } from './api.js';
import { AccountSlots } from './account-slots.js';
import { BasicAuth } from './auth.js';
import type { JmapServices } from './context.js';
import { downloadBlob } from './download.js';
import { eventSource } from './eventsource.js';
import { problemOf, problemResponse, requestError } from './errors.js';
import { MAX_CONCURRENT_UPLOAD, MAX_SIZE_REQUEST, MAX_SIZE_UPLOAD } from './limits.js';
import { parseJmapRequest } from './request.js';
import { DOWNLOAD_ROUTE, EVENT_SOURCE_ROUTE, JMAP_PATHS, offersOf, sessionResource, UPLOAD_ROUTE } from './session.js';
import { uploadBlob, uploadTooLarge } from './upload.js';
import { upgradeRequired, webSocketUpgrade } from './websocket.js';

export interface JmapDependencies extends JmapServices {
  /** Where clients reach this HTTP listener, e.g. "https://mail.example.org"; session URLs start with it. */
  readonly baseUrl: () => string;
  readonly accounts: Pick<AccountService, 'authenticate' | 'authenticateToken' | 'tokenActive'>;
  readonly throttle: Pick<LoginThrottle, 'authenticate'>;
  readonly messages: JmapServices['messages'] & Pick<MessageService, 'rewrapPending'>;
  readonly blobs: JmapServices['blobs'] & Pick<BlobService, 'upload'>;
  /** The change notifier the services publish to; push streams subscribe to it per user. */
  readonly notifier: Pick<Notifier, 'subscribe'>;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now?: () => number;
}

export function jmapRoutes(deps: JmapDependencies): Route[] {
  const auth = new BasicAuth({ accounts: deps.accounts, throttle: deps.throttle, messages: deps.messages, logger: deps.logger, rng: deps.rng, ...(deps.now ? { now: deps.now } : {}) });
  const services = { mailboxes: deps.mailboxes, messages: deps.messages, blobs: deps.blobs, ...(deps.submission ? { submission: deps.submission } : {}), ...(deps.postage ? { postage: deps.postage } : {}) };
  const runner = new RequestRunner({ services, baseUrl: deps.baseUrl, logger: deps.logger });

  // The handler authenticates again: a successful login is cached, so that is a cache hit.
  const authenticated = async (head: HttpRequestHead): Promise<HttpResponse | undefined> => {
    const login = await auth.authenticate(head);
    return login.ok ? undefined : login.response;
  };

  const session = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return jsonResponse(200, sessionResource(deps.baseUrl(), login.account, offersOf(deps)));
  };

  const api = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    const parsed = parseJmapRequest(request);
    if (!parsed.ok) return parsed.response;
    const result = await runner.run(parsed.request, login.account);
    if (result.ok) return jsonResponse(200, result.response);
    const problem = problemOf(result.problem);
    return problemResponse(problem.status, problem);
  };

  const download = async (request: RoutedRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return downloadBlob(request, login.account, deps.blobs);
  };

  const uploads = new AccountSlots(MAX_CONCURRENT_UPLOAD);
  const upload = async (request: RoutedRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return uploadBlob(request, login.account, deps.blobs, uploads);
  };

  const push = async (request: HttpRequest): Promise<HttpResponse> => {
    const login = await auth.authenticate(request);
    if (!login.ok) return login.response;
    return eventSource(request, login.account, { notifier: deps.notifier, messages: deps.messages, ...(deps.postage ? { postage: deps.postage } : {}), logger: deps.logger });
  };

  return [
    { path: JMAP_PATHS.session, methods: { GET: session } },
    { path: DOWNLOAD_ROUTE, methods: { GET: download } },
    { path: UPLOAD_ROUTE, methods: { POST: upload }, maxBodyBytes: MAX_SIZE_UPLOAD, tooLarge: uploadTooLarge, beforeBody: authenticated },
    { path: UPLOAD_ROUTE.replace(/\/$/, ''), methods: { POST: upload }, maxBodyBytes: MAX_SIZE_UPLOAD, tooLarge: uploadTooLarge, beforeBody: authenticated },
    // RFC 8620's example URL ends in a slash; either spelling is served.
    { path: EVENT_SOURCE_ROUTE, methods: { GET: push } },
    { path: `${EVENT_SOURCE_ROUTE}/`, methods: { GET: push } },
    { path: JMAP_PATHS.webSocket, methods: { GET: upgradeRequired }, upgrade: webSocketUpgrade({ auth, runner, notifier: deps.notifier, messages: deps.messages, ...(deps.postage ? { postage: deps.postage } : {}), logger: deps.logger }) },
    {
      path: JMAP_PATHS.api,
      methods: { POST: api },
      maxBodyBytes: MAX_SIZE_REQUEST,
      tooLarge: () => requestError('limit', `requests are limited to ${MAX_SIZE_REQUEST} bytes`, { limit: 'maxSizeRequest', status: 413 }),
      beforeBody: authenticated,
    },
  ];
}

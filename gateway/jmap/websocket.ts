// JMAP over WebSocket (RFC 8887) at the session's websocket URL. The upgrade is authenticated
// like the API (401 before upgrading) and must offer the `jmap` subprotocol (400 otherwise,
// §4.2). Messages are JSON text: a Request is answered by a Response carrying its `id` as
// `requestId`, or by a RequestError (problem details, §4.3.4); WebSocketPushEnable starts
// StateChanges from the same feed as the EventSource (with `pushState`, from which a reconnecting
// client catches up), WebSocketPushDisable stops them. A bad message gets a RequestError and
// leaves the connection, and every other one, as it was.
import { z } from 'zod';
import type { RawData, WebSocket } from 'ws';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { HttpRequest, HttpResponse, UpgradeHandler } from '../http/types.js';
import type { RequestRunner } from './api.js';
import type { BasicAuth } from './auth.js';
import { badRequest, problemOf, problemResponse, type RequestProblem } from './errors.js';
import { MAX_SIZE_REQUEST, MAX_WEBSOCKET_BUFFER_BYTES, MAX_WEBSOCKET_MESSAGE_BYTES } from './limits.js';
import { followStateChanges, PUSH_TYPES, pushTypesOf, stateChangeOf, type FeedDependencies, type StateChangeFeed } from './push-feed.js';
import { checkJmapRequest } from './request.js';
import { parseState } from './state.js';

/** The WebSocket subprotocol of RFC 8887. */
export const JMAP_SUBPROTOCOL = 'jmap';

/** Close codes (RFC 6455 §7.4.1). */
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;

export const WEBSOCKET_DETAIL = {
  subprotocol: `the WebSocket subprotocol "${JMAP_SUBPROTOCOL}" is required`,
  upgrade: `connect with WebSocket, subprotocol "${JMAP_SUBPROTOCOL}"`,
  binary: 'messages are JSON text, not binary',
  json: 'the message is not JSON',
  type: 'the message is not a Request, WebSocketPushEnable or WebSocketPushDisable',
  id: 'the message is not a JMAP request: id: a request id is a string',
  tooLarge: `requests are limited to ${MAX_SIZE_REQUEST} bytes`,
  dataTypes: 'WebSocketPushEnable: dataTypes must be null or a list of type names',
  login: 'authentication failed',
  push: 'push failed',
} as const;

export interface WebSocketDependencies extends FeedDependencies {
  readonly auth: Pick<BasicAuth, 'authenticate'>;
  readonly runner: Pick<RequestRunner, 'run'>;
}

const PushEnable = z.object({ dataTypes: z.array(z.string()).nullish(), pushState: z.string().nullish() });

/** The route's upgrade handler: refuses with 401/429/503 (as the API) or 400, else takes the socket. */
export function webSocketUpgrade(deps: WebSocketDependencies): UpgradeHandler {
  return async (request, accept) => {
    const login = await deps.auth.authenticate(request);
    if (!login.ok) return login.response;
    if (!offersJmap(request.headers['sec-websocket-protocol'])) return badRequest(WEBSOCKET_DETAIL.subprotocol);
    // A failed handshake has been answered by ws; there is nothing left to do.
    const ws = await accept({ protocol: JMAP_SUBPROTOCOL, maxMessageBytes: MAX_WEBSOCKET_MESSAGE_BYTES }).catch(() => undefined);
    // Only the credentials are kept, to authenticate each Request as the API does each request.
    if (ws) new JmapSocket(ws, login.account, credentialsOf(request), deps);
    return undefined;
  };
}

/** The answer to a GET without an upgrade: 426 Upgrade Required. */
export function upgradeRequired(): HttpResponse {
  return problemResponse(426, { type: 'about:blank', status: 426, detail: WEBSOCKET_DETAIL.upgrade }, { upgrade: 'websocket' });
}

/** One open connection: its push feed (when enabled) and the Requests it runs. */
class JmapSocket {
  readonly #ws: WebSocket;
  readonly #account: UnlockedAccount;
  readonly #credentials: HttpRequest;
  readonly #deps: WebSocketDependencies;
  #feed: StateChangeFeed | undefined;

  constructor(ws: WebSocket, account: UnlockedAccount, credentials: HttpRequest, deps: WebSocketDependencies) {
    this.#ws = ws;
    this.#account = account;
    this.#credentials = credentials;
    this.#deps = deps;
    ws.on('message', (data, isBinary) => {
      this.#onMessage(data, isBinary).catch((err: unknown) => {
        deps.logger.error('JMAP WebSocket message failed', { err });
        this.#close(CLOSE_INTERNAL_ERROR, 'internal error');
      });
    });
    // ws reports protocol errors (a message over the limit, bad UTF-8) and then closes.
    ws.on('error', (err) => deps.logger.debug('JMAP WebSocket error', { err }));
    ws.on('close', () => this.#stopPush());
  }

  async #onMessage(data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) return this.#requestError(undefined, { code: 'notJSON', detail: WEBSOCKET_DETAIL.binary });
    const text = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (text.byteLength > MAX_SIZE_REQUEST) return this.#requestError(undefined, { code: 'limit', detail: WEBSOCKET_DETAIL.tooLarge, limit: 'maxSizeRequest' });
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch {
      return this.#requestError(undefined, { code: 'notJSON', detail: WEBSOCKET_DETAIL.json });
    }
    const message = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
    const id = typeof message['id'] === 'string' ? message['id'] : undefined;
    switch (message['@type']) {
      case 'Request':
        if (message['id'] !== undefined && id === undefined) return this.#requestError(undefined, { code: 'notRequest', detail: WEBSOCKET_DETAIL.id });
        return this.#request(message, id);
      case 'WebSocketPushEnable':
        return this.#enablePush(message);
      case 'WebSocketPushDisable':
        return this.#stopPush();
      default:
        return this.#requestError(id, { code: 'notRequest', detail: WEBSOCKET_DETAIL.type });
    }
  }

  async #request(message: Record<string, unknown>, id: string | undefined): Promise<void> {
    const checked = checkJmapRequest(message, 'message');
    if (!checked.ok) return this.#requestError(id, checked.problem);
    const login = await this.#deps.auth.authenticate(this.#credentials);
    // The credentials stopped working (a revoked token, a changed password): so does the connection.
    if (!login.ok) return this.#close(CLOSE_POLICY, WEBSOCKET_DETAIL.login);
    const result = await this.#deps.runner.run(checked.request, login.account);
    if (!result.ok) return this.#requestError(id, result.problem);
    this.#send({ '@type': 'Response', ...result.response, ...(id === undefined ? {} : { requestId: id }) });
  }

  async #enablePush(message: Record<string, unknown>): Promise<void> {
    const parsed = PushEnable.safeParse(message);
    const dataTypes = parsed.success ? parsed.data.dataTypes : undefined;
    const types = dataTypes === null || dataTypes === undefined ? new Set(PUSH_TYPES) : pushTypesOf(dataTypes);
    if (!parsed.success || !types) return this.#requestError(undefined, { code: 'notRequest', detail: WEBSOCKET_DETAIL.dataTypes });
    // A second enable replaces the first (RFC 8887 §4.3.5.2).
    this.#stopPush();
    const since = parseState(parsed.data.pushState);
    const feed = followStateChanges(this.#account, this.#deps, {
      types,
      ...(since === undefined ? {} : { since }),
      onChange: (states, modseq) => this.#send(stateChangeOf(this.#account, states, modseq)),
      onError: (err) => {
        this.#deps.logger.warn('JMAP WebSocket push failed', { err });
        this.#close(CLOSE_INTERNAL_ERROR, WEBSOCKET_DETAIL.push);
      },
    });
    this.#feed = feed;
    try {
      await feed.ready;
    } catch (err) {
      this.#deps.logger.warn('JMAP WebSocket push could not start', { err });
      this.#close(CLOSE_INTERNAL_ERROR, WEBSOCKET_DETAIL.push);
    }
  }

  #stopPush(): void {
    this.#feed?.stop();
    this.#feed = undefined;
  }

  #requestError(requestId: string | undefined, problem: RequestProblem): void {
    this.#send({ '@type': 'RequestError', ...(requestId === undefined ? {} : { requestId }), ...problemOf(problem) });
  }

  #send(message: object): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify(message));
    // A client this far behind may never read again: its connection is cut, not buffered.
    if (this.#ws.bufferedAmount > MAX_WEBSOCKET_BUFFER_BYTES) this.#ws.terminate();
  }

  #close(code: number, reason: string): void {
    this.#stopPush();
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.close(code, reason);
  }
}

/** Whether Sec-WebSocket-Protocol lists `jmap` (one header or several, comma-separated). */
function offersJmap(header: string | string[] | undefined): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.flatMap((v) => v.split(',')).some((p) => p.trim() === JMAP_SUBPROTOCOL);
}

function credentialsOf(request: HttpRequest): HttpRequest {
  const authorization = request.headers['authorization'];
  return {
    method: request.method,
    path: request.path,
    query: new URLSearchParams(),
    headers: authorization === undefined ? {} : { authorization },
    body: new Uint8Array(),
    ...(request.remoteAddress === undefined ? {} : { remoteAddress: request.remoteAddress }),
  };
}

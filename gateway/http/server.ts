// Adapts node:http to the router: runs the route's check on the request head (a refusal is
// sent without reading the body), builds an HttpRequest (body read whole within a limit),
// writes the HttpResponse (whole, or streamed until the stream, the client or the server
// ends it), turns a thrown handler error into a logged 500, hands WebSocket upgrades to the
// routes that take them, and shuts down gracefully within a limit.
import { createServer, ServerResponse } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { errorResponse } from './errors.js';
import {
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  MAX_STREAM_BUFFER_BYTES,
  REQUEST_TIMEOUT_MS,
  SHUTDOWN_GRACE_MS,
} from './limits.js';
import type { Router, RouteUpgrade } from './router.js';
import type { AcceptWebSocket, HttpRequestHead, HttpResponse, ResponseStream } from './types.js';

/** WebSocket close code 1001: the server is going away. */
const CLOSE_GOING_AWAY = 1001;

/** The streamed responses and WebSockets of a server still running, so closing can end them. */
interface OpenStreams {
  readonly streams: Set<AbortController>;
  readonly sockets: Set<WebSocket>;
  /** Set by closeHttpServer: a stream that starts afterwards ends at once. */
  closing: boolean;
}
const openStreams = new WeakMap<Server, OpenStreams>();

export function createHttpServer(router: Router, logger: Logger): Server {
  const open: OpenStreams = { streams: new Set(), sockets: new Set(), closing: false };
  const server = createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void respond(router, logger, req, res, open);
  });
  // With this listener Node leaves "Expect: 100-continue" to us: the client is told to send its
  // body only once the head has passed the route's check and the declared length.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    void respond(router, logger, req, res, open, { expectsContinue: true });
  });
  // With a listener here Node hands every Upgrade request over (h2c too): a WebSocket one at a
  // route that takes upgrades is that route's; any other is answered as an ordinary request.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug('upgrade connection error', { err }));
    const path = pathOf(req);
    const handler = path !== undefined && /^websocket$/i.test(req.headers.upgrade ?? '') ? router.upgrade?.(path) : undefined;
    if (handler) void upgrade(handler, logger, req, socket, head, open);
    // Node leaves an upgrade request's body unread on the socket: one that has a body is refused.
    else if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) void send(errorResponse('bad_request'), logger, req, responseOn(req, socket), open);
    else void respond(router, logger, req, responseOn(req, socket), open);
  });
  openStreams.set(server, open);
  return server;
}

async function respond(
  router: Router, logger: Logger, req: IncomingMessage, res: ServerResponse, open: OpenStreams, opts: { readonly expectsContinue?: boolean } = {},
): Promise<void> {
  let body: Uint8Array | undefined;
  // A route may set its own body limit (the JMAP API takes more than 64 KiB).
  const limit = router.bodyLimit?.(pathOf(req) ?? '');
  const maxBodyBytes = limit?.maxBodyBytes ?? MAX_BODY_BYTES;
  const head = toRequestHead(req);
  // A route may refuse a request on its head (JMAP without credentials that work), so a client
  // it refuses cannot make the server buffer a body. A declared length over the limit is
  // refused below first: that costs nothing, a check may cost a login.
  if (head && !declaredOver(req, maxBodyBytes)) {
    const refusal = await checkHead(router, logger, head);
    // The body is not read: the connection closes after the reply.
    if (refusal) return send(closing(refusal), logger, req, res, open);
  }
  if (opts.expectsContinue && !declaredOver(req, maxBodyBytes)) res.writeContinue();
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (err) {
    // The client went away while sending; there is nobody to answer.
    logger.debug('request body not received', { method: req.method, err });
    return;
  }
  const request = body && head && { ...head, body };
  let response: HttpResponse;
  if (!body) {
    // The rest of the body is not read: the connection closes after the reply.
    const tooLarge = limit?.tooLarge?.();
    response = tooLarge ? closing(tooLarge) : errorResponse('payload_too_large', { connection: 'close' });
  } else if (!request) {
    response = errorResponse('bad_request');
  } else {
    try {
      response = await router(request);
    } catch (err) {
      logger.error('request failed', { method: request.method, path: request.path, err });
      response = errorResponse('internal_error');
    }
  }
  return send(response, logger, req, res, open);
}

/** The route's head check; a check that throws is a logged 500. */
async function checkHead(router: Router, logger: Logger, head: HttpRequestHead): Promise<HttpResponse | undefined> {
  try {
    return await router.beforeBody?.(head);
  } catch (err) {
    logger.error('request check failed', { method: head.method, path: head.path, err });
    return errorResponse('internal_error');
  }
}

/** The response, sent with the connection closing after it (its request body is left unread). */
function closing(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...response.headers, connection: 'close' } };
}

function send(response: HttpResponse, logger: Logger, req: IncomingMessage, res: ServerResponse, open: OpenStreams): Promise<void> | void {
  if (response.stream && req.method !== 'HEAD') return sendStream(response, response.stream, logger, res, open);
  const bytes = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(bytes.byteLength) });
  // A HEAD reply carries GET's headers, Content-Length included, but no body.
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/**
 * Writes the head, then runs the stream until it returns or its signal aborts: the client
 * went away, the server is closing, or the client reads too slowly (then the connection is
 * cut). The connection closes after it, so a closing server is not held up by a kept-alive socket.
 */
async function sendStream(response: HttpResponse, stream: ResponseStream, logger: Logger, res: ServerResponse, open: OpenStreams): Promise<void> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  open.streams.add(controller);
  // The client may have gone before the stream started: its 'close' is past.
  if (open.closing || !res.socket || res.socket.destroyed) abort();
  res.on('close', abort);
  res.writeHead(response.status, { ...response.headers, connection: 'close' });
  res.flushHeaders();
  const write = (chunk: string) => {
    if (controller.signal.aborted || res.writableEnded) return;
    res.write(chunk);
    if (res.writableLength <= MAX_STREAM_BUFFER_BYTES) return;
    // A client this far behind may never read again: its connection is cut, not drained.
    abort();
    res.destroy();
  };
  try {
    await stream(write, controller.signal);
  } catch (err) {
    logger.error('response stream failed', { err });
  } finally {
    open.streams.delete(controller);
    res.off('close', abort);
    res.end();
  }
}

/**
 * Runs a route's upgrade handler: it refuses with a response (sent, then the connection
 * closes) or accepts, and the WebSocket is then tracked so that closing the server closes it.
 */
async function upgrade(
  handler: RouteUpgrade, logger: Logger, req: IncomingMessage, socket: Duplex, head: Buffer, open: OpenStreams,
): Promise<void> {
  let accepted = false;
  const accept: AcceptWebSocket = ({ protocol, maxMessageBytes }) => new Promise((resolve, reject) => {
    accepted = true;
    // No compression: a small compressed frame could inflate past the message limit.
    const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: maxMessageBytes, handleProtocols: () => protocol });
    const gone = () => reject(new Error('the WebSocket handshake did not complete'));
    socket.once('close', gone);
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', gone);
      open.sockets.add(ws);
      ws.once('close', () => open.sockets.delete(ws));
      if (open.closing) ws.close(CLOSE_GOING_AWAY, 'server closing');
      resolve(ws);
    });
  });
  const requestHead = toRequestHead(req);
  const request = requestHead && { ...requestHead, body: new Uint8Array() };
  let refusal: HttpResponse | undefined;
  try {
    refusal = request ? await handler(request, accept) : errorResponse('bad_request');
  } catch (err) {
    logger.error('upgrade failed', { path: request?.path, err });
    refusal = errorResponse('internal_error');
  }
  if (!refusal) return;
  if (accepted) return void socket.destroy();
  await send(refusal, logger, req, responseOn(req, socket), open);
}

/** A response written straight to an upgrade request's socket, which closes after it. */
function responseOn(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
  res.once('finish', () => {
    res.detachSocket(socket as Parameters<ServerResponse['detachSocket']>[0]);
    socket.end();
  });
  return res;
}

/** Whether the request's Content-Length says its body is longer than `limit`. */
function declaredOver(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > limit;
}

/** The whole body, or undefined when it is (or says it is) longer than `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  if (declaredOver(req, limit)) return Promise.resolve(undefined);
  // The client may have gone while the head was checked: its 'close' is past.
  if (req.destroyed) return Promise.reject(new Error('the connection closed before the request body ended'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) return void chunks.push(chunk);
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => onError(new Error('the connection closed before the request body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Undefined when the request target is not a parseable URL path. */
function toRequestHead(req: IncomingMessage): HttpRequestHead | undefined {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://gateway.invalid');
  } catch {
    return undefined;
  }
  const remoteAddress = req.socket.remoteAddress;
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, ...(remoteAddress === undefined ? {} : { remoteAddress }) };
}

/** The request's path, as toRequestHead will see it; undefined when it is not parseable. */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Stops accepting, ends streamed responses (an event stream would otherwise never finish),
 * closes WebSockets with 1001, lets requests in flight finish for up to SHUTDOWN_GRACE_MS,
 * then cuts.
 */
export function closeHttpServer(server: Server): Promise<void> {
  const open = openStreams.get(server);
  if (open) {
    open.closing = true;
    for (const stream of open.streams) stream.abort();
    for (const ws of open.sockets) ws.close(CLOSE_GOING_AWAY, 'server closing');
  }
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => {
      server.closeAllConnections();
      for (const ws of open?.sockets ?? []) ws.terminate();
    }, SHUTDOWN_GRACE_MS);
    cut.unref();
    server.close((err) => {
      clearTimeout(cut);
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

// Adapts node:http to the router: builds an HttpRequest (body read whole within a limit),
// writes the HttpResponse, turns a thrown handler error into a logged 500, and shuts down
// gracefully within a limit.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { errorResponse } from './errors.js';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_BODY_BYTES, MAX_HEADER_BYTES, REQUEST_TIMEOUT_MS, SHUTDOWN_GRACE_MS } from './limits.js';
import type { Router } from './router.js';
import type { HttpRequest, HttpResponse } from './types.js';

export function createHttpServer(router: Router, logger: Logger): Server {
  const server = createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void respond(router, logger, req, res);
  });
  return server;
}

async function respond(router: Router, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: Uint8Array | undefined;
  // A route may set its own body limit (the JMAP API takes more than 64 KiB).
  const limit = router.bodyLimit?.(pathOf(req) ?? '');
  try {
    body = await readBody(req, limit?.maxBodyBytes ?? MAX_BODY_BYTES);
  } catch (err) {
    // The client went away while sending; there is nobody to answer.
    logger.debug('request body not received', { method: req.method, err });
    return;
  }
  const request = body && toHttpRequest(req, body);
  let response: HttpResponse;
  if (!body) {
    // The rest of the body is not read: the connection closes after the reply.
    const tooLarge = limit?.tooLarge?.();
    response = tooLarge ? { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } } : errorResponse('payload_too_large', { connection: 'close' });
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
  const bytes = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(bytes.byteLength) });
  // A HEAD reply carries GET's headers, Content-Length included, but no body.
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** The whole body, or undefined when it is (or says it is) longer than `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve(undefined);
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
function toHttpRequest(req: IncomingMessage, body: Uint8Array): HttpRequest | undefined {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://gateway.invalid');
  } catch {
    return undefined;
  }
  const remoteAddress = req.socket.remoteAddress;
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, ...(remoteAddress === undefined ? {} : { remoteAddress }) };
}

/** The request's path, as toHttpRequest will see it; undefined when it is not parseable. */
function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
  } catch {
    return undefined;
  }
}

/** Stops accepting, lets requests in flight finish for up to SHUTDOWN_GRACE_MS, then cuts. */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    cut.unref();
    server.close((err) => {
      clearTimeout(cut);
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

// Adapts node:http to the router: builds an HttpRequest, writes the HttpResponse, turns
// a thrown handler error into a logged 500, and shuts down gracefully within a limit.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { errorResponse } from './errors.js';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, REQUEST_TIMEOUT_MS, SHUTDOWN_GRACE_MS } from './limits.js';
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
  const request = toHttpRequest(req);
  let response: HttpResponse;
  if (!request) {
    response = errorResponse('bad_request');
  } else {
    try {
      response = await router(request);
    } catch (err) {
      logger.error('request failed', { method: request.method, path: request.path, err });
      response = errorResponse('internal_error');
    }
  }
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.byteLength) });
  // A HEAD reply carries GET's headers, Content-Length included, but no body.
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Undefined when the request target is not a parseable URL path. */
function toHttpRequest(req: IncomingMessage): HttpRequest | undefined {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://gateway.invalid');
  } catch {
    return undefined;
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
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

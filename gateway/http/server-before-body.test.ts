// A route's beforeBody check through a real HTTP server on 127.0.0.1: a refusal is sent while
// the body is still unsent and the connection closes, the handler not called; a check that
// throws is a logged 500; a request let through is read whole and handled as usual.
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serveRoutes } from '../../test/helpers/http-routes.js';
import { parseRawReply, rawRequest } from '../../test/helpers/raw-http.js';
import { createLogger } from '../log.js';
import { closeHttpServer } from './server.js';
import type { HeadCheck, HttpResponse, Route } from './types.js';

describe('beforeBody', () => {
  let server: Server | undefined;
  const logged: string[] = [];
  const logger = createLogger({ level: 'error', write: (line) => void logged.push(line) });
  /** Bodies the handler saw. */
  const handled: string[] = [];

  async function serve(beforeBody: HeadCheck): Promise<string> {
    const route: Route = {
      path: '/in/:name',
      methods: { POST: (request) => (handled.push(Buffer.from(request.body).toString()), { status: 200, headers: {}, body: `got ${request.body.length}` }) },
      maxBodyBytes: 1_000_000,
      beforeBody,
    };
    const served = await serveRoutes([route], logger);
    server = served.server;
    return served.base;
  }

  afterEach(async () => {
    if (server) await closeHttpServer(server);
    server = undefined;
    logged.length = 0;
    handled.length = 0;
  });

  const refuseBad: HeadCheck = async (head): Promise<HttpResponse | undefined> =>
    head.params['name'] === 'bad' ? { status: 403, headers: { 'content-type': 'text/plain', 'x-why': head.method }, body: 'refused' } : undefined;

  it('sends the refusal before the body, closes the connection and does not call the handler', async () => {
    const base = await serve(refuseBad);
    const request = rawRequest(base, '/in/bad', { 'Content-Length': '900000' }, 'x'.repeat(1000));
    try {
      expect(parseRawReply(await request.closed())).toEqual({
        status: 403,
        headers: { 'content-type': 'text/plain', 'x-why': 'POST', connection: 'close', 'content-length': '7' },
        body: 'refused',
      });
    } finally {
      request.destroy();
    }
    expect(handled).toEqual([]);
  });

  it('reads the body of a request let through and hands it to the handler', async () => {
    const base = await serve(refuseBad);
    const request = rawRequest(base, '/in/good', { 'Content-Length': '6' }, 'abc');
    try {
      await expect(request.until('HTTP/1.1', 200)).rejects.toThrow(/^no "HTTP\/1\.1" within 200 ms/);
      request.send('def');
      const reply = parseRawReply(await request.until('got 6'));
      expect({ status: reply.status, body: reply.body, connection: reply.headers['connection'] }).toEqual({ status: 200, body: 'got 6', connection: 'keep-alive' });
    } finally {
      request.destroy();
    }
    expect(handled).toEqual(['abcdef']);
  });

  it('answers a check that throws with a logged 500, the body unread', async () => {
    const base = await serve(async () => {
      throw new Error('check broke');
    });
    const request = rawRequest(base, '/in/any', { 'Content-Length': '900000' }, 'x'.repeat(1000));
    try {
      expect(parseRawReply(await request.closed())).toEqual({
        status: 500,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close', 'content-length': '26' },
        body: '{"error":"internal_error"}',
      });
    } finally {
      request.destroy();
    }
    expect(handled).toEqual([]);
    expect(logged.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([expect.objectContaining({ msg: 'request check failed', method: 'POST', path: '/in/any' })]);
  });
});

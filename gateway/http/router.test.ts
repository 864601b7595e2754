// Routing without a socket: path and method matching, 404, 405 with Allow, HEAD via GET,
// and the health check's reply.
import { describe, expect, it } from 'vitest';
import { createGatewayRouter } from './gateway-router.js';
import { createRouter } from './router.js';
import type { HttpRequest, HttpResponse, RoutedRequest } from './types.js';
import { TEST_CLIENT_SETUP } from '../../test/helpers/client-setup.js';

function request(method: string, path: string): HttpRequest {
  return { method, path, query: new URLSearchParams(), headers: {}, body: new Uint8Array() };
}

function body(response: HttpResponse): unknown {
  return JSON.parse(typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body));
}

describe('gateway router', () => {
  const setup = TEST_CLIENT_SETUP;
  const router = createGatewayRouter({ version: '9.9.9', setup });

  it('answers GET /healthz with status and version', async () => {
    const response = await router(request('GET', '/healthz'));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(body(response)).toEqual({ status: 'ok', version: '9.9.9' });
  });

  it('answers HEAD /healthz like GET', async () => {
    const response = await router(request('HEAD', '/healthz'));
    expect(response.status).toBe(200);
    expect(body(response)).toEqual({ status: 'ok', version: '9.9.9' });
  });

  it('rejects other methods with 405 and Allow', async () => {
    const response = await router(request('POST', '/healthz'));
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD');
    expect(body(response)).toEqual({ error: 'method_not_allowed' });
  });

  it('answers unknown paths with 404', async () => {
    for (const path of ['/', '/healthz/', '/HEALTHZ', '/nope']) {
      const response = await router(request('GET', path));
      expect(response.status).toBe(404);
      expect(body(response)).toEqual({ error: 'not_found' });
    }
  });
});

describe('createRouter', () => {
  it('refuses duplicate paths', () => {
    const route = { path: '/x', methods: {} };
    expect(() => createRouter([route, route])).toThrow('duplicate HTTP route /x');
  });

  it('lists explicit HEAD handlers once in Allow', async () => {
    const ok = (): HttpResponse => ({ status: 204, headers: {}, body: '' });
    const router = createRouter([{ path: '/x', methods: { GET: ok, HEAD: ok, PUT: ok } }]);
    expect((await router(request('DELETE', '/x'))).headers['allow']).toBe('GET, HEAD, PUT');
  });

  it('tells the server the body limit of routes that set one', () => {
    const ok = (): HttpResponse => ({ status: 204, headers: {}, body: '' });
    const tooLarge = (): HttpResponse => ({ status: 413, headers: {}, body: 'big' });
    const router = createRouter([{ path: '/x', methods: { POST: ok } }, { path: '/api', methods: { POST: ok }, maxBodyBytes: 1000, tooLarge }]);
    expect(router.bodyLimit?.('/x')).toBeUndefined();
    expect(router.bodyLimit?.('/nope')).toBeUndefined();
    expect(router.bodyLimit?.('/api')).toEqual({ maxBodyBytes: 1000, tooLarge });
  });
});

describe('routes with :param segments', () => {
  const echo = (name: string) => (req: RoutedRequest): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify({ name, params: req.params }) });
  const router = createRouter([
    { path: '/pay/:id', params: { id: /[a-z]{3}/ }, methods: { GET: echo('page') } },
    { path: '/pay/:id/events', methods: { GET: echo('events') } },
    { path: '/pay/special', methods: { GET: echo('exact') } },
    { path: '/a/:x/b/:y', methods: { GET: echo('two'), POST: echo('two') } },
  ]);

  it('passes the values of :param segments, percent-decoded', async () => {
    expect(body(await router(request('GET', '/pay/abc')))).toEqual({ name: 'page', params: { id: 'abc' } });
    expect(body(await router(request('GET', '/pay/x%20y/events')))).toEqual({ name: 'events', params: { id: 'x y' } });
    expect(body(await router(request('GET', '/a/1/b/2')))).toEqual({ name: 'two', params: { x: '1', y: '2' } });
  });

  it('prefers an exact path over a pattern', async () => {
    expect(body(await router(request('GET', '/pay/special')))).toEqual({ name: 'exact', params: {} });
  });

  it('answers 404 when the segments differ, a value is empty or malformed, or a rule does not match the whole value', async () => {
    for (const path of ['/pay', '/pay/', '/pay/abcd', '/pay/ab', '/pay/ABC', '/pay/abc/', '/pay/abc/other', '/pay//events', '/pay/%E0%A4%A/events', '/a/1/b', '/a/1/c/2']) {
      const response = await router(request('GET', path));
      expect({ path, status: response.status, body: body(response) }).toEqual({ path, status: 404, body: { error: 'not_found' } });
    }
  });

  it('answers 405 with Allow for a matching path and another method', async () => {
    const response = await router(request('DELETE', '/a/1/b/2'));
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('GET, POST, HEAD');
  });

  it("runs a route's beforeBody check on the head, with its params, only for the route's methods (HEAD via GET)", async () => {
    const seen: unknown[] = [];
    const refusal: HttpResponse = { status: 401, headers: {}, body: 'no' };
    const beforeBody = async (head: { method: string; params: Readonly<Record<string, string>> }) => {
      seen.push([head.method, head.params]);
      return head.params['account'] === 'bad' ? refusal : undefined;
    };
    const ok = (): HttpResponse => ({ status: 204, headers: {}, body: '' });
    const checked = createRouter([{ path: '/upload/:account', methods: { GET: ok, POST: ok }, beforeBody }, { path: '/free', methods: { POST: ok } }]);
    const head = (method: string, path: string) => ({ method, path, query: new URLSearchParams(), headers: {} });
    expect(await checked.beforeBody?.(head('POST', '/upload/bad'))).toBe(refusal);
    expect(await checked.beforeBody?.(head('POST', '/upload/a1'))).toBeUndefined();
    expect(await checked.beforeBody?.(head('HEAD', '/upload/bad'))).toBe(refusal);
    // Another method (405), another path (404) and a route without a check are let through to the router.
    expect(await checked.beforeBody?.(head('DELETE', '/upload/bad'))).toBeUndefined();
    expect(await checked.beforeBody?.(head('POST', '/nope'))).toBeUndefined();
    expect(await checked.beforeBody?.(head('POST', '/free'))).toBeUndefined();
    expect(seen).toEqual([['POST', { account: 'bad' }], ['POST', { account: 'a1' }], ['HEAD', { account: 'bad' }]]);
  });

  it('applies body limits of pattern routes', () => {
    const ok = (): HttpResponse => ({ status: 204, headers: {}, body: '' });
    const limited = createRouter([{ path: '/upload/:account', methods: { POST: ok }, maxBodyBytes: 10 }]);
    expect(limited.bodyLimit?.('/upload/a1')).toEqual({ maxBodyBytes: 10 });
    expect(limited.bodyLimit?.('/upload')).toBeUndefined();
  });

  it('refuses duplicate pattern paths', () => {
    const route = { path: '/x/:id', methods: {} };
    expect(() => createRouter([route, route])).toThrow('duplicate HTTP route /x/:id');
  });
});

// Routing without a socket: path and method matching, 404, 405 with Allow, HEAD via GET,
// and the health check's reply.
import { describe, expect, it } from 'vitest';
import type { ClientSetup } from './client-setup.js';
import { createGatewayRouter } from './gateway-router.js';
import { createRouter } from './router.js';
import type { HttpRequest, HttpResponse } from './types.js';

function request(method: string, path: string): HttpRequest {
  return { method, path, query: new URLSearchParams(), headers: {}, body: new Uint8Array() };
}

function body(response: HttpResponse): unknown {
  return JSON.parse(typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body));
}

describe('gateway router', () => {
  const setup: ClientSetup = {
    hostname: 'mail.example.test',
    defaultDomain: 'example.test',
    mtaStsMode: 'testing',
    ports: { imap: 143, imaps: 993, submission: 587 },
    isHostedDomain: (domain) => Promise.resolve(domain === 'example.test'),
  };
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

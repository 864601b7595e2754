// startGateway over a real socket: binds the HTTP port (0 = any), serves the health
// check with a correct HEAD reply, reports a port in use clearly, and closes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { GatewayError } from './errors.js';
import { createLogger } from './log.js';
import { startGateway } from './server.js';
import type { RunningGateway } from './server.js';
import { VERSION } from './version.js';

function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ env: { LNMP_HTTP_PORT: '0', ...env }, readFile: () => '' }).config;
}

function testLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

describe('startGateway', () => {
  let gateway: RunningGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('serves /healthz on the bound port and logs it', async () => {
    const { lines, logger } = testLogger();
    gateway = await startGateway(testConfig(), logger);
    expect(gateway.httpPort).toBeGreaterThan(0);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'listening', service: 'http', port: gateway.httpPort }),
    );

    const base = `http://127.0.0.1:${gateway.httpPort}`;
    const get = await fetch(`${base}/healthz?probe=1`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/json');
    const text = await get.text();
    expect(JSON.parse(text)).toEqual({ status: 'ok', version: VERSION });

    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(await head.text()).toBe('');

    const post = await fetch(`${base}/healthz`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');

    const missing = await fetch(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
  });

  it('close is idempotent and frees the port', async () => {
    const { logger } = testLogger();
    const running = await startGateway(testConfig(), logger);
    await Promise.all([running.close(), running.close()]);
    await expect(fetch(`http://127.0.0.1:${running.httpPort}/healthz`)).rejects.toThrow();
  });

  it('reports a port in use as a listen_failed GatewayError', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { logger } = testLogger();
      const failure = startGateway(testConfig({ LNMP_HTTP_PORT: String(port) }), logger);
      await expect(failure).rejects.toBeInstanceOf(GatewayError);
      await expect(failure).rejects.toThrow(`cannot listen on 127.0.0.1:${port} (http): address already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

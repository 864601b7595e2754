// Observability of a real gateway (PostgreSQL, loopback sockets, ports 0): GET /metrics after
// an SMTP delivery, failed IMAP and JMAP logins, HTTP requests, a relay PUBLISH and a postage
// row; GET /readyz healthy, with Redis gone (through a TCP proxy the test closes) and with a
// failing injected check; and the log lines: pino JSON, session ids, never a password.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createGatewayRouter } from '../gateway/http/gateway-router.js';
import { clientSetupFrom } from '../gateway/http/client-setup.js';
import { createRouter } from '../gateway/http/router.js';
import { READINESS_CHECK_TIMEOUT_MS, readyzRoute, shortReason } from '../gateway/http/routes/readyz.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres, type Db } from '../storage/db.js';
import { StorageError } from '../storage/errors.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import { startDnsServer } from './helpers/dns-server.js';
import { RawImapSession } from './helpers/imap-session.js';
import { envelope, identity, TestClient } from './helpers/relay-client.js';
import { TEST_REDIS_URL } from './helpers/services.js';

const PASSWORD = 'correct-horse-battery';
const WRONG_PASSWORD = 'wrong-staple-9911';

let schema: TestSchema;
let dataDir: string;
let dns: Awaited<ReturnType<typeof startDnsServer>>;

beforeAll(async () => {
  schema = await createTestSchema();
  dataDir = join(mkdtempSync(join(tmpdir(), 'lnmp-metrics-test-')), 'data');
  // No records: SPF and DMARC lookups of the test senders end at once with NXDOMAIN.
  dns = await startDnsServer({});
});

afterAll(async () => {
  await dns.close();
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
  await schema.dispose();
});

function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    env: { LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url, LNMP_DNS_SERVERS: dns.address, ...env },
    readFile: () => '',
  }).config;
}

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

/** `name{labels}` → value, from the text exposition format. */
function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function scrape(gateway: RunningGateway): Promise<{ contentType: string | null; series: Map<string, number>; text: string }> {
  const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { contentType: response.headers.get('content-type'), series: parseExposition(text), text };
}

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openPostgres(schema.url);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function createUser(name: string): Promise<{ userId: number; address: string }> {
  return withDb((db) => new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address: `${name}-${Date.now()}@example.test`, password: PASSWORD }));
}

async function imapLogin(port: number, address: string, password: string): Promise<string[]> {
  const { session } = await RawImapSession.open(port);
  const reply = await session.command(`LOGIN ${address} "${password}"`);
  await session.command('LOGOUT');
  await session.closed;
  return reply;
}

/** Polls `read` until `done` holds (connection close events arrive after the client's close). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('GET /metrics', () => {
  it('exposes every named series with its labels, counting what the gateway did', async () => {
    const { logger, lines } = capture();
    const gateway = await startGateway(testConfig(), logger);
    try {
      const empty = await scrape(gateway);
      expect(empty.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      for (const state of ['open', 'held', 'settled', 'canceled', 'expired']) {
        expect(empty.series.get(`lnmp_postage_invoices{state="${state}"}`)).toBe(0);
        expect(empty.series.get(`lnmp_postage_sats{state="${state}"}`)).toBe(0);
      }
      expect(empty.series.get('lnmp_queue_depth')).toBe(0);
      expect(empty.series.get('lnmp_queue_oldest_age_seconds')).toBe(0);
      expect(empty.series.get('lnmp_messages_received_total{via="mx"}')).toBe(0);
      // The process metrics of prom-client, from this gateway's own registry.
      expect(empty.series.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);

      const user = await createUser('metrics');
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'someone@sender.test', to: [user.address] }, raw: 'Subject: hi\r\n\r\nhello\r\n' });
      transport.close();
      expect((await imapLogin(gateway.imapPort, user.address, WRONG_PASSWORD)).at(-1)).toBe('T1 NO [AUTHENTICATIONFAILED] Invalid credentials');
      const jmap = await fetch(`http://127.0.0.1:${gateway.httpPort}/.well-known/jmap`, { headers: { authorization: `Basic ${Buffer.from(`${user.address}:${WRONG_PASSWORD}`).toString('base64')}` } });
      expect(jmap.status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/healthz`)).status).toBe(200);

      const alice = identity('metrics-alice');
      const relay = await TestClient.connect(`ws://127.0.0.1:${gateway.relayPort}`);
      const published = await relay.publish(envelope(alice, [identity('metrics-bob')], { timestamp: Math.floor(Date.now() / 1000) - 10 }));
      expect(published).toMatchObject({ type: 'OK', command: 'PUBLISH' });
      const whileOpen = await scrape(gateway);
      expect(whileOpen.series.get('lnmp_relay_connections')).toBe(1);
      expect(whileOpen.series.get('lnmp_connections_open{protocol="relay"}')).toBe(1);
      await relay.close();

      await withDb((db) =>
        db.query("INSERT INTO postage (user_id, payment_hash, amount_sats, state, bolt11) VALUES ($1, $2, 21, 'held', 'lnbcrt1'), ($1, $3, 100, 'held', 'lnbcrt2'), ($1, $4, 5, 'settled', 'lnbcrt3')", [
          user.userId,
          'a'.repeat(64),
          'b'.repeat(64),
          'c'.repeat(64),
        ]),
      );

      const { series, text } = await eventually(() => scrape(gateway), (s) => s.series.get('lnmp_connections_open{protocol="relay"}') === 0 && s.series.get('lnmp_connections_open{protocol="imap"}') === 0 && s.series.get('lnmp_connections_open{protocol="smtp"}') === 0);
      expect(series.get('lnmp_messages_received_total{via="mx"}')).toBe(1);
      expect(series.get('lnmp_messages_received_total{via="submission"}')).toBe(0);
      expect(series.get('lnmp_messages_received_total{via="lnmp"}')).toBe(0);
      expect(series.get('lnmp_auth_failures_total{protocol="imap"}')).toBe(1);
      expect(series.get('lnmp_auth_failures_total{protocol="jmap"}')).toBe(1);
      expect(series.get('lnmp_auth_failures_total{protocol="submission"}')).toBe(0);
      expect(series.get('lnmp_connections_total{protocol="smtp"}')).toBeGreaterThanOrEqual(1);
      expect(series.get('lnmp_connections_total{protocol="imap"}')).toBe(1);
      expect(series.get('lnmp_connections_total{protocol="relay"}')).toBe(1);
      expect(series.get('lnmp_connections_total{protocol="http"}')).toBeGreaterThanOrEqual(1);
      expect(series.get('lnmp_connections_total{protocol="submission"}')).toBe(0);
      expect(series.get('lnmp_connections_open{protocol="smtp"}')).toBe(0);
      expect(series.get('lnmp_connections_open{protocol="imap"}')).toBe(0);
      // This scrape's own connection is open.
      expect(series.get('lnmp_connections_open{protocol="http"}')).toBeGreaterThanOrEqual(1);
      expect(series.get('lnmp_relay_connections')).toBe(0);
      for (const transport of ['smtp', 'lnmp']) {
        for (const result of ['delivered', 'deferred', 'failed']) expect(series.get(`lnmp_messages_sent_total{transport="${transport}",result="${result}"}`)).toBe(0);
      }
      expect(series.get('lnmp_queue_depth')).toBe(0);
      expect(series.get('lnmp_queue_oldest_age_seconds')).toBe(0);
      expect(series.get('lnmp_postage_invoices{state="held"}')).toBe(2);
      expect(series.get('lnmp_postage_sats{state="held"}')).toBe(121);
      expect(series.get('lnmp_postage_invoices{state="settled"}')).toBe(1);
      expect(series.get('lnmp_postage_sats{state="settled"}')).toBe(5);
      expect(series.get('lnmp_postage_invoices{state="open"}')).toBe(0);
      expect(series.get('lnmp_relay_publish_seconds_count')).toBe(1);
      expect(series.get('lnmp_storage_query_seconds_count')).toBeGreaterThan(10);
      expect(series.get('lnmp_storage_query_seconds_bucket{le="+Inf"}')).toBe(series.get('lnmp_storage_query_seconds_count'));
      for (const name of ['lnmp_connections_total', 'lnmp_connections_open', 'lnmp_messages_received_total', 'lnmp_messages_sent_total', 'lnmp_auth_failures_total', 'lnmp_queue_depth', 'lnmp_queue_oldest_age_seconds', 'lnmp_postage_invoices', 'lnmp_postage_sats', 'lnmp_relay_connections']) {
        expect(text).toContain(`# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}\n`);
      }
      expect(text).toContain('# TYPE lnmp_relay_publish_seconds histogram\n');
      expect(text).toContain('# TYPE lnmp_storage_query_seconds histogram\n');
      expect(lines.join('')).not.toContain(WRONG_PASSWORD);
    } finally {
      await gateway.close();
    }
  });

  it('counts submitted messages, failed submission logins and the outbound queue', async () => {
    const gateway = await startGateway(testConfig(), capture().logger);
    try {
      const user = await createUser('submit');
      const bad = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.submissionPort, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: user.address, pass: WRONG_PASSWORD } });
      await expect(bad.sendMail({ from: user.address, to: 'x@example.test', text: 'x' })).rejects.toThrow(/535/);
      bad.close();
      // To a remote domain: queued (the worker's first attempt finds no MX for it and defers).
      const good = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.submissionPort, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: user.address, pass: PASSWORD } });
      await good.sendMail({ from: user.address, to: 'someone@remote.test', subject: 'out', text: 'hello' });
      good.close();
      const { series } = await eventually(
        () => scrape(gateway),
        (s) => (s.series.get('lnmp_messages_sent_total{transport="smtp",result="deferred"}') ?? 0) + (s.series.get('lnmp_messages_sent_total{transport="smtp",result="failed"}') ?? 0) >= 1,
        10_000,
      );
      expect(series.get('lnmp_messages_received_total{via="submission"}')).toBe(1);
      expect(series.get('lnmp_auth_failures_total{protocol="submission"}')).toBe(1);
      expect(series.get('lnmp_connections_total{protocol="submission"}')).toBe(2);
      const settled = (series.get('lnmp_messages_sent_total{transport="smtp",result="deferred"}') ?? 0) + (series.get('lnmp_messages_sent_total{transport="smtp",result="failed"}') ?? 0);
      expect(settled).toBe(1);
      // A deferred recipient waits in the queue; a failed one (no such domain) does not.
      const deferred = series.get('lnmp_messages_sent_total{transport="smtp",result="deferred"}');
      expect(series.get('lnmp_queue_depth')).toBe(deferred);
      if (deferred === 1) expect(series.get('lnmp_queue_oldest_age_seconds')).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });
});

/** A TCP proxy to Redis, so a test can take "Redis" away from a running gateway. */
async function redisProxy(): Promise<{ port: number; close(): Promise<void> }> {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('GET /readyz', () => {
  it('is 200 with every check ok on a healthy gateway: database, Redis when configured, Lightning', async () => {
    const gateway = await startGateway(testConfig({ REDIS_URL: TEST_REDIS_URL }), capture().logger);
    try {
      const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok', lightning: 'ok' } });
    } finally {
      await gateway.close();
    }
  });

  it('checks no Redis without REDIS_URL (the dev Lightning backend is ready)', async () => {
    const gateway = await startGateway(testConfig(), capture().logger);
    try {
      const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok', lightning: 'ok' } });
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start when Redis is unreachable', async () => {
    await expect(startGateway(testConfig({ REDIS_URL: 'redis://:r3dis-pass@127.0.0.1:1' }), capture().logger)).rejects.toThrow(/cannot connect to Redis at redis:\/\/:\*\*\*\*\*\*\*\*@127\.0\.0\.1:1/);
  });

  it('is 503 naming redis when Redis goes away, without the URL or its password', async () => {
    const proxy = await redisProxy();
    // Redis without a password ignores the one in the URL (ioredis carries on).
    const url = `redis://:r3dis-pass@127.0.0.1:${proxy.port}`;
    const { logger, lines } = capture();
    const gateway = await startGateway(testConfig({ REDIS_URL: url }), logger);
    try {
      expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`)).status).toBe(200);
      await proxy.close();
      const response = await fetch(`http://127.0.0.1:${gateway.httpPort}/readyz`);
      const text = await response.text();
      expect(response.status).toBe(503);
      const body = JSON.parse(text) as { status: string; checks: Record<string, string> };
      expect(body).toEqual({ status: 'not ready', checks: { database: 'ok', lightning: 'ok', redis: expect.stringMatching(/^error: /) as string } });
      expect(body.checks['redis']).toMatch(/^error: (storage_unavailable|no answer within 2000 ms)/);
      expect(text).not.toContain('r3dis-pass');
      expect(text).not.toContain(String(proxy.port));
      expect(lines.join('')).not.toContain('r3dis-pass');
    } finally {
      await gateway.close();
    }
  });

  const readyzRequest = { method: 'GET', path: '/readyz', query: new URLSearchParams(), headers: {}, body: new Uint8Array() };

  it('runs injected checks: a failing database is 503 by its code, a hanging one times out', async () => {
    const { config } = loadConfig({ env: {}, readFile: () => '' });
    const failing = () => Promise.reject(new StorageError('storage_unavailable', 'cannot connect to PostgreSQL at postgres://gw:pg-secret@db/lnmp', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    const router = createGatewayRouter({
      version: '0',
      setup: clientSetupFrom(config, () => Promise.resolve(true)),
      readiness: { database: failing, redis: () => Promise.resolve('PONG') },
    });
    const response = await router(readyzRequest);
    expect(response.status).toBe(503);
    expect(JSON.parse(String(response.body))).toEqual({ status: 'not ready', checks: { database: 'error: storage_unavailable (ECONNREFUSED)', redis: 'ok' } });
    expect(String(response.body)).not.toContain('pg-secret');

    const hanging = createRouter([readyzRoute({ lightning: () => new Promise(() => {}), database: () => Promise.resolve() }, 50)]);
    const slow = await hanging(readyzRequest);
    expect(slow.status).toBe(503);
    expect(JSON.parse(String(slow.body))).toEqual({ status: 'not ready', checks: { lightning: 'error: no answer within 50 ms', database: 'ok' } });
    expect(READINESS_CHECK_TIMEOUT_MS).toBe(2_000);
  });

  it('names a failure by codes only, never by its message', () => {
    expect(shortReason(new Error('redis://:secret@host:6379 refused'))).toBe('failed');
    expect(shortReason(new TypeError('postgres://u:secret@h/db'))).toBe('TypeError');
    expect(shortReason(Object.assign(new Error('x'), { code: 'some code with postgres://u:p@h' }))).toBe('failed');
    expect(shortReason('a string')).toBe('failed');
  });
});

describe('logs', () => {
  it('are pino JSON lines with session ids on SMTP and IMAP lines, and never a password', async () => {
    const { logger, lines } = capture();
    const gateway = await startGateway(testConfig(), logger);
    try {
      const user = await createUser('logs');
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'someone@sender.test', to: [user.address] }, raw: 'Subject: hi\r\n\r\nhello\r\n' });
      transport.close();
      expect((await imapLogin(gateway.imapPort, user.address, WRONG_PASSWORD)).at(-1)).toMatch(/ NO /);
      expect((await imapLogin(gateway.imapPort, user.address, PASSWORD)).at(-1)).toMatch(/ OK /);
      const submit = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.submissionPort, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: user.address, pass: WRONG_PASSWORD } });
      await expect(submit.sendMail({ from: user.address, to: user.address, text: 'x' })).rejects.toThrow(/535/);
      submit.close();
    } finally {
      await gateway.close();
    }
    const text = lines.join('');
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(WRONG_PASSWORD);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(entry).toMatchObject({ level: expect.stringMatching(/^(debug|info|warn|error)$/) as string, time: expect.any(String) as string, pid: process.pid, hostname: expect.any(String) as string, msg: expect.any(String) as string });
    }
    const find = (msg: string, service: string) => entries.filter((e) => e['msg'] === msg && e['service'] === service);
    expect(find('delivered', 'smtp')).toEqual([expect.objectContaining({ session: expect.any(String) as string })]);
    expect(find('authentication failed', 'imap')).toEqual([expect.objectContaining({ session: expect.any(String) as string })]);
    expect(find('authenticated', 'imap')).toEqual([expect.objectContaining({ session: expect.any(String) as string })]);
    expect(find('authentication failed', 'submission')).toEqual([expect.objectContaining({ session: expect.any(String) as string })]);
  });
});

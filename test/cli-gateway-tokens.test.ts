// The account and token commands against a running gateway on embedded PGlite (through its
// admin socket), checked over the gateway's own front-ends: `status` reports the real ports;
// a token is a JMAP bearer token and an IMAP password until it is revoked; `user passwd`
// changes what IMAP accepts; `user delete` removes a user with their mail. Before the gateway
// starts and after it stops, `status` says no gateway is running.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { GatewayStatus } from '../gateway/admin/status.js';
import { runCli } from '../gateway/cli/program.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { VERSION } from '../gateway/version.js';
import type { DNSResolver } from '../gateway/smtp/authentication.js';
import { seedPgliteDataDir } from './helpers/databases.js';
import { fakeIo, type FakeStdin } from './helpers/fake-io.js';

const PORTS = { LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0' };
const TIMEOUT_MS = 120_000;
/** Nothing exists in this DNS: SPF and DKIM checks of test mail find nothing, at once. */
const resolver: DNSResolver = (name) => Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));

let root: string;
let env: Record<string, string>;
let gateway: RunningGateway | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lnmp-cli-gw-tokens-'));
  env = { LNMP_DATA_DIR: join(root, 'data'), ...PORTS };
  await seedPgliteDataDir(env['LNMP_DATA_DIR']!);
}, TIMEOUT_MS);

afterAll(async () => {
  await gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

async function run(argv: string[], stdin: FakeStdin = {}) {
  const io = fakeIo(env, {}, stdin);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

async function imapLogin(user: string, pass: string): Promise<'ok' | 'refused'> {
  const client = new ImapFlow({ host: '127.0.0.1', port: gateway!.imapsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass }, logger: false });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    if ((err as { authenticationFailed?: boolean }).authenticationFailed) return 'refused';
    throw err;
  }
  const inbox = await client.status('INBOX', { messages: true });
  await client.logout();
  expect(inbox).toMatchObject({ path: 'INBOX' });
  return 'ok';
}

async function jmap(authorization: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${gateway!.httpPort}/jmap/api`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Mailbox/get', { accountId: null }, '0']] }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('with no gateway running', () => {
  it('status is one line and exit 1', async () => {
    expect(await run(['status'])).toEqual({ code: 1, out: '', err: `lnmp-gateway: no gateway is running on ${env['LNMP_DATA_DIR']} (start it with lnmp-gateway start)\n` });
  });
});

describe('a running gateway', () => {
  let token = '';

  beforeAll(async () => {
    const { config } = loadConfig({ env, readFile: () => '' });
    gateway = await startGateway(config, createLogger({ level: 'error', write: () => {} }), { resolver });
    expect((await run(['user', 'add', 'alice@example.test', '--password-stdin'], { text: 'old password\n' })).code).toBe(0);
  }, TIMEOUT_MS);

  it('status reports its real listeners, backends, queue, relay connections, uptime and version', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gateway!.relayPort}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const json = await run(['status', '--json']);
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const status = JSON.parse(json.out) as GatewayStatus;
    const g = gateway!;
    expect(status).toMatchObject({
      version: VERSION,
      pid: process.pid,
      state: 'running',
      dataDir: env['LNMP_DATA_DIR'],
      backends: { database: 'pglite', notifier: 'in-process', lightning: 'dev' },
      queue: { queued: 0, oldestQueuedAt: null, oldestAgeSeconds: null },
      relayConnections: 1,
    });
    expect(status.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(status.listeners).toEqual([
      { service: 'http', host: '127.0.0.1', port: g.httpPort },
      { service: 'relay', host: '127.0.0.1', port: g.relayPort },
      { service: 'smtp', host: '127.0.0.1', port: g.smtpPort },
      { service: 'submission', host: '127.0.0.1', port: g.submissionPort },
      { service: 'imap', host: '127.0.0.1', port: g.imapPort },
      { service: 'imaps', host: '127.0.0.1', port: g.imapsPort },
    ]);

    const text = await run(['status']);
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^lnmp-gateway ${VERSION.replaceAll('.', '\\.')}: running, up (\\d+m )?\\d+s \\(pid ${process.pid}, data .+\\)$`));
    expect(lines[1]).toBe('listeners:');
    expect(lines[2]).toBe(`  http        127.0.0.1:${g.httpPort}`);
    expect(lines[7]).toBe(`  imaps       127.0.0.1:${g.imapsPort}`);
    expect(lines.slice(8)).toEqual(['backends: database pglite, notifier in-process, lightning dev', 'outbound queue: 0 queued', 'relay connections: 1', '']);
    ws.close();
  });

  it('token create through the socket; the token is a JMAP bearer token and an IMAP password', { timeout: TIMEOUT_MS }, async () => {
    const created = await run(['token', 'create', 'alice@example.test', '--name', 'laptop', '--password-stdin', '--json'], { text: 'old password\n' });
    expect(created.err).toBe('');
    token = (JSON.parse(created.out) as { token: string }).token;
    expect(token).toMatch(/^lnmp_[a-z2-7]{52}$/);

    expect(await jmap(`Bearer ${token}`)).toBe(200);
    expect(await jmap(`Bearer ${token}`)).toBe(200);
    expect(await jmap(`Bearer lnmp_${'a'.repeat(52)}`)).toBe(401);
    expect(await jmap('Bearer not-a-token')).toBe(401);
    expect(await imapLogin('alice@example.test', token)).toBe('ok');
    expect(await imapLogin('bob@example.test', token)).toBe('refused');
    // Basic with the token as the password works too (an app password), and so does SMTP AUTH.
    expect(await jmap(`Basic ${Buffer.from(`alice@example.test:${token}`).toString('base64')}`)).toBe(200);
    const submission = (pass: string) =>
      nodemailer.createTransport({ host: '127.0.0.1', port: gateway!.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.test', pass } });
    const smtp = submission(token);
    await expect(smtp.verify()).resolves.toBe(true);
    smtp.close();
    const wrong = submission(`lnmp_${'b'.repeat(52)}`);
    await expect(wrong.verify()).rejects.toMatchObject({ responseCode: 535 });
    wrong.close();
  });

  it('token revoke: bearer requests get 401 at once, IMAP refuses the token', { timeout: TIMEOUT_MS }, async () => {
    expect(await run(['token', 'revoke', 'alice@example.test', 'laptop'])).toEqual({ code: 0, out: 'revoked laptop of alice@example.test\n', err: '' });
    expect(await jmap(`Bearer ${token}`)).toBe(401);
    expect(await jmap(`Basic ${Buffer.from(`alice@example.test:${token}`).toString('base64')}`)).toBe(401);
    expect(await imapLogin('alice@example.test', token)).toBe('refused');
  });

  it('user passwd: IMAP refuses the old password and takes the new one', { timeout: TIMEOUT_MS }, async () => {
    expect(await imapLogin('alice@example.test', 'old password')).toBe('ok');
    expect(await run(['user', 'passwd', 'alice@example.test', '--password-stdin'], { text: 'old password\nnew password\n' })).toEqual({
      code: 0, out: 'password changed for alice@example.test\n', err: '',
    });
    expect(await imapLogin('alice@example.test', 'old password')).toBe('refused');
    expect(await imapLogin('alice@example.test', 'new password')).toBe('ok');
  });

  it('user delete removes the user with their mail; IMAP login fails afterwards', { timeout: TIMEOUT_MS }, async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway!.smtpPort, secure: false, ignoreTLS: true });
    await transport.sendMail({ envelope: { from: 'someone@remote.test', to: ['alice@example.test'] }, raw: 'From: someone@remote.test\r\nSubject: hi\r\n\r\nhello\r\n' });
    transport.close();
    expect(await run(['user', 'delete', 'alice@example.test', '--yes'])).toEqual({ code: 0, out: 'deleted alice@example.test (1 message)\n', err: '' });
    expect(await imapLogin('alice@example.test', 'new password')).toBe('refused');
    expect(JSON.parse((await run(['user', 'list', '--json'])).out)).toEqual([]);
  });

  it('after the gateway stops, status says no gateway is running', { timeout: TIMEOUT_MS }, async () => {
    await gateway!.close();
    gateway = undefined;
    expect(await run(['status'])).toEqual({ code: 1, out: '', err: `lnmp-gateway: no gateway is running on ${env['LNMP_DATA_DIR']} (start it with lnmp-gateway start)\n` });
  });
});

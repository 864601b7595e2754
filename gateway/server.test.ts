// startGateway over real sockets and a real PostgreSQL schema: binds the HTTP port (0 =
// any), serves the health check with a correct HEAD reply, hosts the configured domain,
// serves the admin socket, reports a port in use clearly, and closes everything it opened.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { verifyIdentityDocument } from '../core/index.js';
import type { Config } from '../config/schema.js';
import { createTestSchema, type TestSchema } from '../test/helpers/databases.js';
import { connectAdmin } from './admin/client.js';
import { GatewayError } from './errors.js';
import { createLogger } from './log.js';
import { redisNamespace, startGateway } from './server.js';
import type { RunningGateway } from './server.js';
import { VERSION } from './version.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dkimVerify } from 'mailauth';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { WebSocket } from 'ws';
import { login } from '../services/login.js';
import { MailboxService } from '../services/mailbox-service.js';
import { MessageService } from '../services/message-service.js';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres } from '../storage/db.js';
import { createNotifier } from '../storage/notifier.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { TEST_REDIS_URL } from '../test/helpers/services.js';

let schema: TestSchema;
let dataDir: string;

beforeAll(async () => {
  schema = await createTestSchema();
  dataDir = join(mkdtempSync(join(tmpdir(), 'lnmp-server-test-')), 'data');
});

afterAll(async () => {
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
  await schema.dispose();
});

function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ env: { LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url, ...env }, readFile: () => '' }).config;
}

/** The first line the SMTP port sends. */
function smtpGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      resolve(chunk.toString('latin1'));
    });
  });
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
    expect(gateway.smtpPort).toBeGreaterThan(0);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'listening', service: 'smtp', port: gateway.smtpPort }),
    );
    expect(await smtpGreeting(gateway.smtpPort)).toBe('220 mail.example.test ESMTP LNMP Gateway\r\n');

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

  it('publishes its signed LNMP identity document at /.well-known/lnmp, with the key stored for the gateway', async () => {
    gateway = await startGateway(testConfig(), testLogger().logger);
    const res = await fetch(`http://127.0.0.1:${gateway.httpPort}/.well-known/lnmp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = verifyIdentityDocument(await res.json());
    const db = await openPostgres(schema.url);
    const [row] = await db.query<{ public_key: string }>('SELECT public_key FROM gateway_identity');
    await db.close();
    expect(doc.publicKey).toBe(row!.public_key);
    expect(doc.addresses).toEqual([expect.stringMatching(/^gateway#[1-9A-Za-z]{6}@mail\.example\.test$/) as string]);
    expect(doc.features).toEqual(['smtp-gateway']);
    expect(doc.proofs.map((p) => p.domain)).toEqual(['example.test']);
  });

  it('serves the embedded LNMP relay on its own port: a WebSocket client is greeted with an AUTH challenge', async () => {
    const { lines, logger } = testLogger();
    gateway = await startGateway(testConfig(), logger);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(expect.objectContaining({ msg: 'listening', service: 'relay', port: gateway.relayPort }));
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.relayPort}`);
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data: Buffer) => resolve(data.toString('utf8')));
      socket.once('error', reject);
    });
    socket.close();
    expect(JSON.parse(first)).toEqual({ type: 'CHALLENGE', challenge: expect.stringMatching(/^[0-9a-f]{32,}$/) as string });
  });

  it('serves JMAP: the session resource with absolute URLs on the bound port, and Core/echo for a user', async () => {
    gateway = await startGateway(testConfig(), testLogger().logger);
    const db = await openPostgres(schema.url);
    const address = `jmap-${Date.now()}@example.test`;
    await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address, password: 'password123' });
    await db.close();
    const authorization = `Basic ${Buffer.from(`${address}:password123`).toString('base64')}`;
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    expect((await fetch(`${base}/.well-known/jmap`)).status).toBe(401);
    const session = (await (await fetch(`${base}/.well-known/jmap`, { headers: { authorization } })).json()) as { apiUrl: string; username: string };
    expect(session.username).toBe(address);
    expect(session.apiUrl.startsWith(`${base}/`)).toBe(true);
    const res = await fetch(session.apiUrl, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: 'world' }, 'c1']] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { methodResponses: unknown }).methodResponses).toEqual([['Core/echo', { hello: 'world' }, 'c1']]);
  });

  it('creates the data directory owner-only and serves the admin socket there', async () => {
    const { lines, logger } = testLogger();
    gateway = await startGateway(testConfig(), logger);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(gateway.adminSocket).toBe(join(dataDir, 'admin.sock'));
    expect(statSync(gateway.adminSocket!).mode & 0o777).toBe(0o600);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'listening', service: 'admin', path: gateway.adminSocket }),
    );
    const client = (await connectAdmin(gateway.adminSocket!))!;
    try {
      expect((await client.api.listDomains()).map((d) => d.name)).toContain('example.test');
    } finally {
      client.close();
    }
  });

  it('hosts the configured domain, adding it only when missing', async () => {
    const first = testLogger();
    gateway = await startGateway(testConfig({ LNMP_DOMAIN: 'Configured.Example.ORG' }), first.logger);
    expect(first.lines.map((l) => JSON.parse(l) as unknown)).toContainEqual(expect.objectContaining({ msg: 'domain added', domain: 'Configured.Example.ORG' }));
    await gateway.close();
    const second = testLogger();
    gateway = await startGateway(testConfig({ LNMP_DOMAIN: 'configured.example.org' }), second.logger);
    expect(second.lines.join('')).not.toContain('domain added');
    const client = (await connectAdmin(gateway.adminSocket!))!;
    try {
      expect((await client.api.listDomains()).map((d) => d.name)).toContain('configured.example.org');
    } finally {
      client.close();
    }
  });

  it('close is idempotent, frees the port and removes the admin socket', async () => {
    const { logger } = testLogger();
    const running = await startGateway(testConfig(), logger);
    await Promise.all([running.close(), running.close()]);
    await expect(fetch(`http://127.0.0.1:${running.httpPort}/healthz`)).rejects.toThrow();
    await expect(smtpGreeting(running.smtpPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(existsSync(running.adminSocket!)).toBe(false);
  });

  it('refuses a data directory another gateway is using', async () => {
    const { logger } = testLogger();
    gateway = await startGateway(testConfig(), logger);
    const second = startGateway(testConfig(), testLogger().logger);
    await expect(second).rejects.toBeInstanceOf(GatewayError);
    await expect(second).rejects.toThrow(`cannot listen on ${gateway.adminSocket} (admin): another lnmp-gateway process is using this data directory`);
    // The first one is unharmed.
    expect((await fetch(`http://127.0.0.1:${gateway.httpPort}/healthz`)).status).toBe(200);
    expect(existsSync(gateway.adminSocket!)).toBe(true);
  });

  it('reports an unreachable database in one line and leaves nothing behind', async () => {
    const failure = startGateway(testConfig({ DATABASE_URL: 'postgres://gw:s3cret@127.0.0.1:1/lnmp' }), testLogger().logger);
    await expect(failure).rejects.toThrow('cannot connect to PostgreSQL at postgres://gw:********@127.0.0.1:1/lnmp: connect ECONNREFUSED 127.0.0.1:1');
    expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
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
      // What started before the failure is closed again.
      expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('startGateway with REDIS_URL', () => {
  it('announces mail accepted over SMTP to other processes through Redis', async () => {
    const { logger, lines } = testLogger();
    const config = testConfig({ REDIS_URL: TEST_REDIS_URL });
    const gateway = await startGateway(config, logger);
    // Another gateway process of the same deployment, as far as Redis is concerned; one of
    // another deployment (another database) hears nothing.
    const other = await createNotifier({ redisUrl: TEST_REDIS_URL, namespace: redisNamespace(config) });
    const stranger = await createNotifier({ redisUrl: TEST_REDIS_URL, namespace: redisNamespace({ ...config, databaseUrl: `${config.databaseUrl!}x` }) });
    try {
      expect(lines.map((l) => JSON.parse(l) as { msg: string; transport?: string })).toContainEqual(expect.objectContaining({ msg: 'notifier ready', transport: 'redis' }));
      const db = await openPostgres(schema.url);
      const user = await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address: `redis-${Date.now()}@example.test`, password: 'password123' });
      await db.close();
      const events: Array<{ userId: number; kind: string }> = [];
      const unsubscribe = other.subscribe(user.userId, (e) => events.push(e));
      await (unsubscribe as unknown as { ready: Promise<void> }).ready;
      const overheard: unknown[] = [];
      await stranger.subscribe(user.userId, (e) => overheard.push(e)).ready;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'someone@sender.test', to: [user.address] }, raw: 'Subject: hi\r\n\r\nhello\r\n' });
      const deadline = Date.now() + 1000;
      while (!events.some((e) => e.kind === 'email') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(events).toContainEqual(expect.objectContaining({ userId: user.userId, kind: 'email' }));
      // A stranger's mail also opens a postage case, announced to the account as kind postage.
      const others = events.filter((e) => e.kind !== 'email');
      expect(others.length).toBeLessThanOrEqual(1);
      for (const e of others) expect(e).toEqual(expect.objectContaining({ userId: user.userId, kind: 'postage' }));
      expect(overheard).toEqual([]);
      unsubscribe();
    } finally {
      await stranger.close();
      await other.close();
      await gateway.close();
    }
  });
});

describe('submission end to end', () => {
  it('takes mail from swaks on the submission port (STARTTLS, AUTH PLAIN) and a second hosted user fetches it byte-exact', async () => {
    const { logger } = testLogger();
    const gateway = await startGateway(testConfig(), logger);
    const db = await openPostgres(schema.url);
    try {
      const accounts = new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
      const stamp = Date.now();
      const sender = await accounts.createUser({ address: `swaks-from-${stamp}@example.test`, password: 'password123' });
      const recipient = await accounts.createUser({ address: `swaks-to-${stamp}@example.test`, password: 'password456' });
      const body = `From: ${sender.address}\r\nTo: ${recipient.address}\r\nSubject: via swaks ${stamp}\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <swaks.${stamp}@example.test>\r\n\r\nSent by swaks.\r\n`;
      const dataFile = join(dataDir, '..', 'swaks-message.eml');
      writeFileSync(dataFile, body);
      const { stdout } = await promisify(execFile)('swaks', [
        '--server', `127.0.0.1:${gateway.submissionPort}`, '--tls', '--auth', 'PLAIN',
        '--auth-user', sender.address, '--auth-password', 'password123',
        '--from', sender.address, '--to', recipient.address, '--helo', 'client.example.test',
        '--data', `@${dataFile}`,
      ], { timeout: 20_000 }).catch((err: { stdout?: string; stderr?: string }) => {
        throw new Error(`swaks failed: ${err.stdout ?? ''}${err.stderr ?? ''}`);
      });
      expect(stdout).toMatch(/<~ {2}250 2\.0\.0 OK queued as [0-9a-f]{12}/);
      const messages = new MessageService(db, { rng: systemRng });
      const session = await login(accounts, messages, recipient.address, 'password456');
      try {
        const box = await new MailboxService(db, { rng: systemRng }).byRole(session, 'screener');
        const [stored] = await messages.fetch(session, box.id, [1]);
        const text = Buffer.from(stored!.raw).toString('latin1');
        expect(text).toMatch(/^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.example\.test with ESMTPSA id [0-9a-f]{12}\r\n/);
        // swaks ends DATA with <CRLF>.<CRLF> after the file's own last line: one more CRLF arrives.
        expect(text.slice(-body.length - 2)).toBe(`${body}\r\n`);
      } finally {
        session.lock();
      }
    } finally {
      await db.close();
      await gateway.close();
    }
  });

  it('sends mail for a remote domain out through the queue: DKIM-signed by the sender domain, received byte-exact after the signature', async () => {
    const received: Buffer[] = [];
    let arrived!: () => void;
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const remote = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks));
          callback();
          arrived();
        });
      },
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    const remotePort = (remote.server.address() as AddressInfo).port;
    let txt = '';
    const resolver = (name: string, rrtype: string) => {
      if (rrtype === 'MX' && name === 'remote.example') return Promise.resolve([{ exchange: 'mx.remote.example', priority: 10 }] as unknown as string[]);
      if (rrtype === 'A' && name === 'mx.remote.example') return Promise.resolve(['127.0.0.1']);
      if (rrtype === 'TXT' && name === 'lnmp1._domainkey.example.test' && txt) return Promise.resolve([[txt]]);
      return Promise.reject(Object.assign(new Error(`${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    };
    const gateway = await startGateway(testConfig({ LNMP_OUTBOUND_PORT: String(remotePort) }), testLogger().logger, { resolver });
    const db = await openPostgres(schema.url);
    try {
      const sender = await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address: `out-${Date.now()}@example.test`, password: 'password123' });
      const raw = `From: ${sender.address}\r\nTo: carol@remote.example\r\nSubject: outbound\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <out.${Date.now()}@example.test>\r\n\r\nTo the world.\r\n`;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.submissionPort, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: sender.address, pass: 'password123' } });
      await transport.sendMail({ envelope: { from: sender.address, to: ['carol@remote.example'] }, raw });
      transport.close();
      await done;
      const [key] = await db.query<{ public_txt: string }>("SELECT public_txt FROM dkim_keys WHERE domain = 'example.test' AND selector = 'lnmp1'");
      txt = key!.public_txt;
      const verified = await dkimVerify(received[0]!, { resolver });
      expect(verified.results.map((r) => [r.signingDomain, r.status.result])).toEqual([['example.test', 'pass']]);
      const text = received[0]!.toString('latin1');
      expect(text).toMatch(/^DKIM-Signature: [^]*?\r\nReceived: from [^]*? with ESMTPSA id /);
      expect(text.endsWith(raw)).toBe(true);
      // The worker records the delivery just after the remote's 250.
      const state = async () => (await db.query<{ state: string }>("SELECT state FROM outbound WHERE recipient = 'carol@remote.example' AND user_id = $1", [sender.userId]))[0]!.state;
      for (let i = 0; i < 100 && (await state()) === 'queued'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await state()).toBe('sent');
    } finally {
      await db.close();
      await gateway.close();
      await new Promise<void>((resolve) => remote.close(() => resolve()));
    }
  });

  it('asks the DNS servers of LNMP_DNS_SERVERS (a local DNS server here) for SPF and DMARC', async () => {
    const dns = await startDnsServer({
      'dns.sender.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
      '_dmarc.dns.sender.test': { TXT: ['v=DMARC1; p=reject'] },
    });
    const gateway = await startGateway(testConfig({ LNMP_DNS_SERVERS: dns.address }), testLogger().logger);
    const db = await openPostgres(schema.url);
    try {
      const accounts = new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
      const user = await accounts.createUser({ address: `dns-${Date.now()}@example.test`, password: 'password123' });
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true, name: 'client.dns.sender.test' });
      await transport.sendMail({ envelope: { from: 'bob@dns.sender.test', to: [user.address] }, raw: 'From: bob@dns.sender.test\r\nSubject: dns\r\n\r\nhello\r\n' });
      transport.close();
      const messages = new MessageService(db, { rng: systemRng });
      const session = await login(accounts, messages, user.address, 'password123');
      try {
        const box = await new MailboxService(db, { rng: systemRng }).byRole(session, 'screener');
        const [stored] = await messages.fetch(session, box.id, [1]);
        const text = Buffer.from(stored!.raw).toString('latin1');
        expect(text).toMatch(/spf=pass \(mail\.example\.test: domain of bob@dns\.sender\.test designates 127\.0\.0\.1 as permitted sender\)/);
        expect(text).toMatch(/dmarc=pass \(p=REJECT arc=none\) header\.from=sender\.test/);
      } finally {
        session.lock();
      }
    } finally {
      await db.close();
      await gateway.close();
      await dns.close();
    }
  });
});

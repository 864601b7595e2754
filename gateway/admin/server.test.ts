// The admin socket over a real Unix socket with AccountService on PGlite: the ops through
// the client, error replies for bad lines while the connection keeps serving, the line
// limit, socket file mode and removal, and taking over a stale socket but not a live one.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { AccountService } from '../../services/account-service.js';
import { ServiceError } from '../../services/errors.js';
import { systemRng } from '../../services/random.js';
import { StorageError } from '../../storage/errors.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../log.js';
import type { AdminApi } from './api.js';
import { localAdminApi } from './local-api.js';
import { connectAdmin } from './client.js';
import { ADMIN_SOCKET_MODE, startAdminServer, type AdminServer } from './server.js';

const kdf = { N: 1024, r: 8, p: 1 };
const logger = createLogger({ level: 'error', write: () => {} });

let dir: string;
let t: TestDb;
let accounts: AccountService;
let api: AdminApi;
const servers: AdminServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lnmp-admin-test-'));
  t = await openTestDb('pglite');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  api = localAdminApi(loadConfig({ env: { LNMP_DATA_DIR: dir }, readFile: () => '' }).config, t.db, accounts);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function start(options: { api?: Promise<AdminApi>; path?: string; limits?: Parameters<typeof startAdminServer>[0]['limits'] } = {}): Promise<AdminServer> {
  const server = await startAdminServer({ path: options.path ?? join(dir, `a${counter++}.sock`), api: options.api ?? Promise.resolve(api), logger, ...(options.limits ? { limits: options.limits } : {}) });
  servers.push(server);
  return server;
}

/** A raw line client: send text, read reply lines. */
async function rawClient(path: string): Promise<{ send(text: string): void; reply(): Promise<unknown>; socket: Socket }> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setEncoding('utf8');
  let buffered = '';
  const waiting: Array<(line: string) => void> = [];
  const lines: string[] = [];
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let i: number;
    while ((i = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return {
    socket,
    send: (text) => void socket.write(text),
    reply: () => {
      const line = lines.shift();
      return line !== undefined ? Promise.resolve(JSON.parse(line)) : new Promise((resolve) => waiting.push((l) => resolve(JSON.parse(l))));
    },
  };
}

describe('admin socket', () => {
  it('runs every op through the client', async () => {
    const server = await start();
    const client = (await connectAdmin(server.path))!;
    try {
      expect(await client.api.addDomain('Admin.TEST')).toMatchObject({ name: 'admin.test' });
      expect((await client.api.listDomains()).map((d) => d.name)).toContain('admin.test');
      const created = await client.api.createUser({ address: 'ann@admin.test', password: 'password1' });
      expect(created).toMatchObject({ address: 'ann@admin.test', lnmpAddress: expect.stringMatching(/^ann#[0-9a-z]+@admin\.test$/i) });
      expect(created.mnemonic?.split(' ')).toHaveLength(24);
      const listed = await client.api.listUsers();
      expect(listed.find((u) => u.address === 'ann@admin.test')).toMatchObject({ publicKey: created.publicKey, status: 'active' });
    } finally {
      client.close();
    }
  });

  it('domain.dns answers the records of a hosted domain and refuses other domains', async () => {
    const server = await start();
    const client = (await connectAdmin(server.path))!;
    try {
      await client.api.addDomain('dns.admin.test');
      const records = await client.api.domainDns('DNS.admin.test.');
      expect(records.map((r) => `${r.name} ${r.type}`)).toEqual([
        'dns.admin.test. MX', 'dns.admin.test. TXT', 'lnmp1._domainkey.dns.admin.test. TXT', '_dmarc.dns.admin.test. TXT', '_mta-sts.dns.admin.test. TXT',
        '_smtp._tls.dns.admin.test. TXT', '_submission._tcp.dns.admin.test. SRV', '_imaps._tcp.dns.admin.test. SRV', '_imap._tcp.dns.admin.test. SRV',
        '_jmap._tcp.dns.admin.test. SRV', 'autoconfig.dns.admin.test. CNAME', 'autodiscover.dns.admin.test. CNAME', 'mta-sts.dns.admin.test. CNAME', '_lnmp.dns.admin.test. TXT',
      ]);
      const [identity] = await t.db.query<{ public_key: string }>('SELECT public_key FROM gateway_identity');
      expect(records.at(-1)?.value).toBe(`v=LNMP1; k=${identity!.public_key}; u=https://mail.example.test/.well-known/lnmp`);
      // The key is created once and then published unchanged.
      expect(await client.api.domainDns('dns.admin.test')).toEqual(records);
      await expect(client.api.domainDns('nowhere.test')).rejects.toEqual(new ServiceError('domain_not_hosted', 'nowhere.test is not hosted here'));
      await expect(client.api.domainDns('not a domain')).rejects.toEqual(new ServiceError('invalid_address', '"not a domain" is not a domain name'));
    } finally {
      client.close();
    }
  });

  it('queue.list and queue.retry answer over the socket; bad ids are refused as arguments', async () => {
    const server = await start();
    const client = (await connectAdmin(server.path))!;
    try {
      expect(await client.api.queueList()).toEqual([]);
      expect(await client.api.queueRetry([12345])).toEqual([]);
      const c = await rawClient(server.path);
      c.send('{"id":9,"op":"queue.retry","args":{"ids":[]}}\n');
      expect(await c.reply()).toEqual({ id: 9, ok: false, error: { code: 'bad_request', message: 'invalid args for queue.retry: ids: Too small: expected array to have >=1 items' } });
      c.socket.end();
    } finally {
      client.close();
    }
  });

  it('turns error replies back into the errors the service threw', async () => {
    const server = await start();
    const client = (await connectAdmin(server.path))!;
    try {
      await expect(client.api.addDomain('admin.test')).rejects.toEqual(new ServiceError('domain_exists', 'admin.test is already hosted'));
      const short = client.api.createUser({ address: 'bob@admin.test', password: 'short' });
      await expect(short).rejects.toBeInstanceOf(ServiceError);
      await expect(short).rejects.toMatchObject({ code: 'invalid_password', message: 'passwords have 8-1024 characters' });
    } finally {
      client.close();
    }
  });

  it('answers bad lines with error replies and keeps serving the connection', async () => {
    const server = await start();
    const c = await rawClient(server.path);
    c.send('this is not json\n');
    expect(await c.reply()).toEqual({ id: null, ok: false, error: { code: 'bad_request', message: 'the request is not valid JSON' } });
    c.send('{"id":2,"op":"mailbox.delete","args":{}}\n');
    expect(await c.reply()).toEqual({
      id: 2,
      ok: false,
      error: { code: 'unknown_op', message:
          'unknown op "mailbox.delete"; known: domain.add, domain.list, domain.dns, user.add, user.list, queue.list, queue.retry, user.passwd, user.delete, user.export-key, ' +
          'token.create, token.list, token.revoke, status, mail.import-state, mail.import, postage.show, postage.set, contacts.show, contacts.set, dev.pay',
      },
    });
    c.send('{"id":3,"op":"domain.add","args":{"name":7}}\n\n');
    expect(await c.reply()).toEqual({
      id: 3,
      ok: false,
      error: { code: 'bad_request', message: 'invalid args for domain.add: name: Invalid input: expected string, received number' },
    });
    // Pipelined, split across writes, CRLF: answered in order.
    c.send('{"id":4,"op":"domain.list"}\r\n{"id":5,');
    c.send('"op":"domain.list"}\n');
    expect(await c.reply()).toMatchObject({ id: 4, ok: true });
    expect(await c.reply()).toMatchObject({ id: 5, ok: true, result: expect.arrayContaining([expect.objectContaining({ name: 'admin.test' })]) });
    c.socket.destroy();
  });

  it('rejects a line over the limit and reads on after it', async () => {
    const server = await start({ limits: { maxLineBytes: 100 } });
    const c = await rawClient(server.path);
    c.send(`{"id":1,"op":"domain.add","args":{"name":"${'a'.repeat(60)}`);
    c.send(`${'b'.repeat(60)}.test"}}\n{"id":2,"op":"domain.list"}\n`);
    expect(await c.reply()).toEqual({ id: null, ok: false, error: { code: 'line_too_long', message: 'request lines are limited to 100 bytes' } });
    expect(await c.reply()).toMatchObject({ id: 2, ok: true });
    c.socket.destroy();
  });

  it('answers once storage is ready, and with its error when it fails', async () => {
    let ready!: (api: AdminApi) => void;
    const later = await start({ api: new Promise<AdminApi>((resolve) => (ready = resolve)) });
    const c = await rawClient(later.path);
    c.send('{"id":1,"op":"domain.list"}\n');
    const reply = c.reply();
    ready(api);
    expect(await reply).toMatchObject({ id: 1, ok: true });
    c.socket.destroy();

    const failed = await start({ api: Promise.reject(new StorageError('storage_unavailable', 'cannot connect to PostgreSQL at postgres://db/x: connect ECONNREFUSED')) });
    const d = await rawClient(failed.path);
    d.send('{"id":1,"op":"domain.list"}\n');
    expect(await d.reply()).toEqual({
      id: 1,
      ok: false,
      error: { code: 'storage_unavailable', message: 'cannot connect to PostgreSQL at postgres://db/x: connect ECONNREFUSED' },
    });
    d.socket.destroy();
  });

  it('hides unexpected errors behind internal_error', async () => {
    const broken = { listDomains: () => Promise.reject(new Error('secret detail')) } as unknown as AdminApi;
    const server = await start({ api: Promise.resolve(broken) });
    const c = await rawClient(server.path);
    c.send('{"id":1,"op":"domain.list"}\n');
    expect(await c.reply()).toEqual({ id: 1, ok: false, error: { code: 'internal_error', message: 'the operation failed; see the gateway log' } });
    c.socket.destroy();
  });

  it('on close, answers the requests it has read before cutting connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = { listDomains: async () => (await gate, [{ id: 1, name: 'slow.test' }]) } as unknown as AdminApi;
    const server = await startAdminServer({ path: join(dir, 'closing.sock'), api: Promise.resolve(slow), logger });
    const c = await rawClient(server.path);
    c.send('{"id":1,"op":"domain.list"}\n');
    const reply = c.reply();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closed = server.close();
    release();
    expect(await reply).toEqual({ id: 1, ok: true, result: [{ id: 1, name: 'slow.test' }] });
    await closed;
    expect(existsSync(server.path)).toBe(false);
  });

  it('answers connections over the limit with busy', async () => {
    const server = await start({ limits: { maxConnections: 1 } });
    const first = await rawClient(server.path);
    const second = await rawClient(server.path);
    expect(await second.reply()).toEqual({ id: null, ok: false, error: { code: 'busy', message: 'more than 1 admin connections' } });
    first.send('{"id":1,"op":"domain.list"}\n');
    expect(await first.reply()).toMatchObject({ id: 1, ok: true });
    first.socket.destroy();
    second.socket.destroy();
  });
});

describe('admin socket file', () => {
  it('is owner-only while open and removed on close', async () => {
    const server = await start();
    expect(lstatSync(server.path).isSocket()).toBe(true);
    expect(statSync(server.path).mode & 0o777).toBe(ADMIN_SOCKET_MODE);
    await Promise.all([server.close(), server.close()]);
    expect(existsSync(server.path)).toBe(false);
    expect(await connectAdmin(server.path)).toBeUndefined();
  });

  it('replaces a stale socket left by a process that died', async () => {
    const path = join(dir, 'stale.sock');
    const crashed = spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(crashed.signal).toBe('SIGKILL');
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(await connectAdmin(path)).toBeUndefined();
    const server = await start({ path });
    const client = (await connectAdmin(path))!;
    expect(Array.isArray(await client.api.listDomains())).toBe(true);
    client.close();
    await server.close();
  });

  it('refuses a socket another process is listening on', async () => {
    const path = join(dir, 'live.sock');
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    try {
      const failure = start({ path });
      await expect(failure).rejects.toBeInstanceOf(GatewayError);
      await expect(failure).rejects.toThrow(`cannot listen on ${path} (admin): another lnmp-gateway process is using this data directory`);
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('leaves a file that is not a socket alone', async () => {
    const path = join(dir, 'file.sock');
    writeFileSync(path, 'keep me');
    await expect(start({ path })).rejects.toThrow(`cannot listen on ${path} (admin): the file exists and is not a socket`);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('refuses a path longer than a socket address can hold instead of truncating it', async () => {
    const path = join(dir, `${'x'.repeat(120)}.sock`);
    await expect(start({ path })).rejects.toThrow(`cannot listen on ${path} (admin): the path is longer than 107 bytes; use a shorter dataDir`);
    expect(existsSync(path)).toBe(false);
    expect(await connectAdmin(path)).toBeUndefined();
  });
});

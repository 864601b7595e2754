// `lnmp-gateway import` against a second real gateway acting as the legacy server: 1,000
// messages in 5 folders (filled through IMAP APPEND) are imported in-process into a user of
// the target gateway and compared through the target's IMAP (counts, flags and keywords,
// INTERNALDATE, exact bytes); a second run imports nothing; a run stopped half-way and run
// again ends with exact counts; Sent recipients become friends; one message goes through the
// target's admin socket; bad input gets one exact line and a non-zero exit.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { connectAdmin } from '../gateway/admin/client.js';
import { runCli } from '../gateway/cli/program.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { AccountService } from '../services/account-service.js';
import { ContactService } from '../services/contact-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres, type Db } from '../storage/db.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import { fakeIo, type FakeIo } from './helpers/fake-io.js';

const PASSWORD = 'password123';
const LEGACY_USER = 'alice@example.test';
const TARGET_SECRET = randomBytes(32).toString('hex');
/** Legacy folder → messages in it; the target folder has the same name. */
const FOLDERS: ReadonlyArray<[string, number]> = [['INBOX', 300], ['Sent', 200], ['Archive', 200], ['Projects/Alpha', 150], ['Lists', 150]];
const TOTAL = FOLDERS.reduce((n, [, c]) => n + c, 0);

const dirs: string[] = [];
const schemas: TestSchema[] = [];
let legacy: RunningGateway;
let target: RunningGateway;
let targetEnv: Record<string, string>;
let targetDb: Db;
const userIds = new Map<string, number>();

async function gateway(schema: TestSchema, secret: string): Promise<{ gateway: RunningGateway; env: Record<string, string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnmp-import-'));
  dirs.push(dataDir);
  const env = {
    DATABASE_URL: schema.url, LNMP_GATEWAY_SECRET: secret, LNMP_DATA_DIR: dataDir,
    LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
  };
  return { gateway: await startGateway(loadConfig({ env, readFile: () => '' }).config, createLogger({ level: 'error', write: () => {} })), env };
}

function imap(port: number, user: string): ImapFlow {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PASSWORD }, logger: false });
  client.on('error', () => {});
  return client;
}

function message(folder: string, i: number): Buffer {
  const sent = folder === 'Sent';
  const lines = [
    `From: ${sent ? LEGACY_USER : `sender${i % 17}@elsewhere.test`}`,
    `To: ${sent ? `Friend ${i % 10} <friend${i % 10}@elsewhere.test>` : LEGACY_USER}`,
    ...(sent && i % 4 === 0 ? ['Cc: "Copy, Person" <copy@elsewhere.test>'] : []),
    `Subject: ${folder} message ${i}`,
    `Message-ID: <${folder.replace('/', '.')}.${i}@legacy.test>`,
    'Date: Mon, 2 Mar 2015 10:00:00 +0000',
    '',
    `Body of ${folder} message ${i}.`,
    'x'.repeat(i % 200),
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

function flagsOf(i: number): string[] {
  return [...(i % 3 === 0 ? ['\\Seen'] : []), ...(i % 7 === 0 ? ['\\Flagged'] : []), ...(i % 11 === 0 ? ['$Label1'] : []), ...(i % 13 === 0 ? ['project-x'] : [])];
}

async function createUser(address: string): Promise<void> {
  const db = await openPostgres(targetEnv['DATABASE_URL']!);
  const user = await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address, password: PASSWORD });
  userIds.set(address, user.userId);
  await db.close();
}

async function runImport(argv: string[], opts: { password?: string; io?: FakeIo } = {}): Promise<{ code: number; out: string; err: string }> {
  const io = opts.io ?? fakeIo(targetEnv, {}, { text: `${opts.password ?? PASSWORD}\n` });
  const code = await runCli(['import', ...argv], io);
  return { code, out: io.out(), err: io.err() };
}

const from = () => `imaps://${encodeURIComponent(LEGACY_USER)}@127.0.0.1:${legacy.imapsPort}`;

interface Seen {
  uid: number;
  flags: string[];
  date: number;
  sha: string;
}

/** Every message of every folder, through IMAP, in UID order. */
async function snapshot(port: number, user: string, folders: readonly string[] = FOLDERS.map(([f]) => f)): Promise<Map<string, Seen[]>> {
  const client = imap(port, user);
  await client.connect();
  const out = new Map<string, Seen[]>();
  try {
    for (const folder of folders) {
      const box = await client.mailboxOpen(folder, { readOnly: true });
      const rows = box.exists === 0 ? [] : await client.fetchAll('1:*', { uid: true, flags: true, internalDate: true, source: true });
      out.set(
        folder,
        rows
          .map((m) => ({
            uid: m.uid,
            flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
            date: new Date(m.internalDate!).getTime(),
            sha: createHash('sha256').update(m.source!).digest('hex'),
          }))
          .sort((a, b) => a.uid - b.uid),
      );
    }
  } finally {
    await client.logout();
  }
  return out;
}

/** The snapshot without UIDs (they are the target's own), in UID order. */
const content = (s: Map<string, Seen[]>) => new Map([...s].map(([folder, rows]) => [folder, rows.map(({ flags, date, sha }) => ({ flags, date, sha }))]));

beforeAll(async () => {
  schemas.push(await createTestSchema(), await createTestSchema());
  legacy = (await gateway(schemas[0]!, randomBytes(32).toString('hex'))).gateway;
  ({ gateway: target, env: targetEnv } = await gateway(schemas[1]!, TARGET_SECRET));
  targetDb = await openPostgres(targetEnv['DATABASE_URL']!);

  const legacyDb = await openPostgres(schemas[0]!.url);
  await new AccountService(legacyDb, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address: LEGACY_USER, password: PASSWORD });
  await legacyDb.close();
  const client = imap(legacy.imapsPort, LEGACY_USER);
  await client.connect();
  for (const [folder, count] of FOLDERS) {
    if (folder !== 'INBOX' && folder !== 'Sent' && folder !== 'Archive') await client.mailboxCreate(folder);
    const base = Date.UTC(2015, 0, 1);
    // Pipelined: imapflow queues the APPENDs and the server answers them in order.
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, (_, k) => {
          const i = start + k;
          return client.append(folder, message(folder, i), flagsOf(i), new Date(base + i * 7 * 3_600_000 + FOLDERS.findIndex(([f]) => f === folder) * 60_000));
        }),
      );
    }
  }
  await client.logout();
  await createUser('carol@example.test');
  await createUser('dave@example.test');
}, 120_000);

afterAll(async () => {
  await targetDb?.close();
  await target?.close();
  await legacy?.close();
  for (const s of schemas) await s.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('import from a legacy IMAP server', () => {
  it('copies 1,000 messages in 5 folders with flags, keywords, internal dates and exact bytes', { timeout: 120_000 }, async () => {
    const run = await runImport(['--from', from(), '--to', 'Carol@example.test', '--password-stdin', '--insecure', '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out) as { imported: number; skipped: number; failed: number; interrupted: boolean; folders: Array<{ folder: string; imported: number }> };
    expect(summary).toMatchObject({ imported: TOTAL, skipped: 0, failed: 0, interrupted: false });
    for (const [folder, count] of FOLDERS) expect(summary.folders).toContainEqual({ folder, imported: count, skipped: 0, failed: 0 });

    const before = await snapshot(legacy.imapsPort, LEGACY_USER);
    const after = await snapshot(target.imapsPort, 'carol@example.test');
    for (const [folder, count] of FOLDERS) expect(after.get(folder)).toHaveLength(count);
    expect(content(after)).toEqual(content(before));
    // Keywords and flags really are there (not only equal because both are empty).
    expect(after.get('Lists')!.filter((m) => m.flags.includes('$Label1'))).toHaveLength(Math.ceil(150 / 11));
  });

  it('a second run imports nothing new', { timeout: 60_000 }, async () => {
    const run = await runImport(['--from', from(), '--to', 'carol@example.test', '--password-stdin', '--insecure']);
    expect(run.code).toBe(0);
    expect(run.out.split('\n').at(-2)).toBe(`0 messages imported into carol@example.test from ${run.out.split('\n').length - 2} folders; ${TOTAL} already imported, 0 failed`);
    const counts = await snapshot(target.imapsPort, 'carol@example.test');
    for (const [folder, count] of FOLDERS) expect(counts.get(folder)).toHaveLength(count);
  });

  it('imap:// (STARTTLS, another port) is the same legacy account: nothing is imported twice', { timeout: 60_000 }, async () => {
    const run = await runImport(['--from', `imap://${encodeURIComponent(LEGACY_USER)}@127.0.0.1:${legacy.imapPort}`, '--to', 'carol@example.test', '--folders', 'Lists', '--password-stdin', '--insecure', '--json']);
    expect(run.err).toBe('');
    expect(JSON.parse(run.out)).toEqual({ folders: [{ folder: 'Lists', imported: 0, skipped: 150, failed: 0 }], imported: 0, skipped: 150, failed: 0, interrupted: false });
  });

  it('recipients of imported Sent mail become friends; senders of other mail do not', async () => {
    const contacts = new ContactService(targetDb, { gatewaySecret: Buffer.from(TARGET_SECRET) });
    const carol = userIds.get('carol@example.test')!;
    expect(await contacts.classify(carol, 'friend3@elsewhere.test')).toBe('friend');
    expect(await contacts.classify(carol, 'Copy@Elsewhere.test')).toBe('friend');
    expect(await contacts.classify(carol, 'sender1@elsewhere.test')).toBeUndefined();
  });

  it('a run of some folders stopped half-way leaves state that a rerun completes without duplicates', { timeout: 120_000 }, async () => {
    const dave = userIds.get('dave@example.test')!;
    const folders = ['Sent', 'Projects/Alpha'];
    const total = 200 + 150;
    const io = fakeIo(targetEnv, {}, { text: `${PASSWORD}\n` });
    const imported = async () => (await targetDb.query<{ n: number }>('SELECT count(*)::int8 AS n FROM import_messages i JOIN import_folders f ON f.id = i.folder_id WHERE f.user_id = $1', [dave]))[0]!.n;
    const args = ['--from', from(), '--to', 'dave@example.test', '--folders', folders.join(','), '--password-stdin', '--insecure', '--json'];
    const first = runImport(args, { io });
    while ((await imported()) < 120) await new Promise((resolve) => setTimeout(resolve, 20));
    io.stop('SIGINT');
    const stopped = await first;
    expect(stopped.code).toBe(1);
    const partial = JSON.parse(stopped.out) as { imported: number; interrupted: boolean };
    expect(partial.interrupted).toBe(true);
    expect(partial.imported).toBeGreaterThanOrEqual(120);
    expect(partial.imported).toBeLessThan(total);
    expect(stopped.err).toBe(`lnmp-gateway: interrupted after ${partial.imported} new messages; run the same command again to continue\n`);

    const rerun = await runImport(args);
    expect(rerun.code).toBe(0);
    const rest = JSON.parse(rerun.out) as { imported: number; skipped: number; folders: Array<{ folder: string }> };
    expect(rest).toMatchObject({ imported: total - partial.imported, skipped: partial.imported });
    expect(rest.folders.map((f) => f.folder).sort()).toEqual([...folders].sort());
    expect(await imported()).toBe(total);
    const after = await snapshot(target.imapsPort, 'dave@example.test', folders);
    expect(content(after)).toEqual(content(await snapshot(legacy.imapsPort, LEGACY_USER, folders)));
  });

  it('imports through the admin socket of a running gateway, with a message larger than 64 KiB', async () => {
    const client = await connectAdmin(target.adminSocket!);
    const raw = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.from('y'.repeat(200 * 1024))]);
    const input = { address: 'carol@example.test', source: 'someone@old.example', folder: { path: 'INBOX', specialUse: '\\Inbox' }, uidvalidity: 7, uid: 1, flags: ['\\Seen'], internalDate: new Date(Date.UTC(2010, 5, 1)), raw };
    try {
      expect(await client!.api.importMessage(input)).toBe('imported');
      expect(await client!.api.importMessage(input)).toBe('skipped');
      expect(await client!.api.importState({ address: 'carol@example.test', source: 'someone@old.example', folders: [{ path: 'INBOX', uidvalidity: 7 }] })).toEqual([[1]]);
    } finally {
      client!.close();
    }
  });
});

describe('import refuses bad input with one line', () => {
  const closedPort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  };

  it('an unreachable legacy server', async () => {
    const port = await closedPort();
    const run = await runImport(['--from', `imaps://alice@127.0.0.1:${port}`, '--to', 'carol@example.test', '--password-stdin']);
    expect(run).toEqual({ code: 1, out: '', err: `lnmp-gateway: cannot connect to the legacy server 127.0.0.1:${port}: connection refused\n` });
  });

  it('a wrong legacy password', async () => {
    const run = await runImport(['--from', from(), '--to', 'carol@example.test', '--password-stdin', '--insecure'], { password: 'wrong-password' });
    expect(run).toEqual({ code: 1, out: '', err: `lnmp-gateway: the legacy server 127.0.0.1:${legacy.imapsPort} refused the login of ${LEGACY_USER}: wrong user name or password\n` });
  });

  it('a self-signed legacy certificate without --insecure', async () => {
    const run = await runImport(['--from', from(), '--to', 'carol@example.test', '--password-stdin']);
    expect(run).toEqual({
      code: 1,
      out: '',
      err: `lnmp-gateway: the TLS certificate of the legacy server 127.0.0.1:${legacy.imapsPort} is not trusted (self-signed certificate); use --insecure to accept it\n`,
    });
  });

  it('a malformed --from URL, or one with a password', async () => {
    for (const url of ['ftp://alice@127.0.0.1', 'imaps://127.0.0.1', 'not a url', 'imaps://alice@host/INBOX']) {
      expect(await runImport(['--from', url, '--to', 'carol@example.test', '--password-stdin'])).toEqual({
        code: 2,
        out: '',
        err: 'lnmp-gateway: --from must be imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT] (STARTTLS)\n',
      });
    }
    expect(await runImport(['--from', 'imaps://alice:secret@127.0.0.1', '--to', 'carol@example.test'])).toEqual({
      code: 2,
      out: '',
      err: 'lnmp-gateway: put no password in --from: it is read from a prompt or --password-stdin\n',
    });
  });

  it('an unknown --to address, before any password is read', async () => {
    const run = await runImport(['--from', from(), '--to', 'nobody@example.test', '--insecure']);
    expect(run).toEqual({ code: 1, out: '', err: 'lnmp-gateway: no user nobody@example.test on this gateway\n' });
  });

  it('no password and no terminal', async () => {
    const run = await runImport(['--from', from(), '--to', 'carol@example.test', '--insecure']);
    expect(run).toEqual({ code: 2, out: '', err: 'lnmp-gateway: no password: use --password-stdin or run in a terminal\n' });
  });
});

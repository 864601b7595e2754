// The submission listener over real sockets and a real PostgreSQL schema: AUTH only over TLS
// (538 5.7.11), bad credentials (535 5.7.8) and throttling (454 4.7.0), sender and From
// checks (550 5.7.1), routing (local copy signed with the sender's key; legacy and LNMP
// recipients queued; unknown hosted users refused), recipients becoming friends, implicit TLS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8, identityFromPrivateKey, openMessage, verifyMessage } from '../../core/index.js';
import { AccountService } from '../../services/account-service.js';
import { ContactService } from '../../services/contact-service.js';
import { InboundMail } from '../../services/inbound-mail.js';
import { LoginThrottle } from '../../services/login-throttle.js';
import { openDelivered } from '../../services/message-crypto.js';
import { MessageService } from '../../services/message-service.js';
import { OutboundQueue } from '../../services/outbound-queue.js';
import { contactsGate } from '../../services/postage.js';
import { systemRng } from '../../services/random.js';
import { SubmissionService } from '../../services/submission.js';
import { createMemoryCounters } from '../../storage/counters.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { RawSession } from '../../test/helpers/smtp-session.js';
import { createLogger } from '../log.js';
import { loadTlsCredentials, type TlsCredentials } from '../tls.js';
import type { Listener } from '../listen.js';
import { startSubmissionServer, type SubmissionServerOptions } from './submission-server.js';

const kdf = { N: 1024, r: 8, p: 1 };
const HOSTNAME = 'mail.example.test';
const NOW = new Date(Date.UTC(2025, 5, 6, 7, 8, 9));
const PASSWORD = 'password123';

let t: TestDb;
let root: string;
let tls: TlsCredentials;
let accounts: AccountService;
let messages: MessageService;
let contacts: ContactService;
let queue: OutboundQueue;
let submission: SubmissionService;
let server: Listener;
const extra: Listener[] = [];
let alice: { userId: number; lnmpAddress: string; publicKey: string };
let bob: { userId: number };

function start(overrides: Partial<SubmissionServerOptions> = {}): Promise<Listener> {
  return startSubmissionServer({
    host: '127.0.0.1',
    port: 0,
    hostname: HOSTNAME,
    tls,
    accounts,
    throttle: new LoginThrottle(createMemoryCounters(), { accountFailures: 3, ipFailures: 100, windowMs: 60_000 }),
    submission,
    logger: createLogger({ level: 'error', write: () => {} }),
    rng: systemRng,
    now: () => NOW,
    ...overrides,
  });
}

beforeAll(async () => {
  t = await openTestDb('postgres');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  messages = new MessageService(t.db, { rng: systemRng });
  const secret = systemRng(32);
  contacts = new ContactService(t.db, { gatewaySecret: secret });
  queue = new OutboundQueue(t.db, { gatewaySecret: secret, rng: systemRng });
  const inbound = new InboundMail({ messages, gate: contactsGate(contacts), gateway: identityFromPrivateKey(systemRng(32)), rng: systemRng });
  submission = new SubmissionService({ db: t.db, accounts, inbound, contacts, queue });
  await accounts.addDomain('example.test');
  const a = await accounts.createUser({ address: 'alice@example.test', password: PASSWORD });
  alice = { userId: a.userId, lnmpAddress: a.lnmpAddress, publicKey: a.publicKey };
  await accounts.addAlias(a.userId, 'ali@example.test');
  bob = { userId: (await accounts.createUser({ address: 'bob@example.test', password: PASSWORD })).userId };
  root = mkdtempSync(join(tmpdir(), 'lnmp-submission-test-'));
  tls = await loadTlsCredentials({ dataDir: root, hostname: HOSTNAME, tls: {} });
  server = await start();
});

afterAll(async () => {
  await Promise.all([server.close(), ...extra.map((s) => s.close())]);
  await t.dispose();
  rmSync(root, { recursive: true, force: true });
});

const transport = (port = server.port, user = 'alice@example.test', pass = PASSWORD, secure = false) =>
  nodemailer.createTransport({ host: '127.0.0.1', port, secure, requireTLS: !secure, tls: { rejectUnauthorized: false }, auth: { user, pass }, name: 'client.example.test' });

const message = (subject: string, from = 'Alice <alice@example.test>', to = 'bob@example.test') =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Fri, 06 Jun 2025 07:08:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.test>\r\n\r\nHi.\r\n`;

/** Sends and returns the error's SMTP reply line, or 'ok'. */
async function send(to: string[], raw: string, opts: { from?: string; port?: number; user?: string; pass?: string } = {}): Promise<string> {
  const tr = transport(opts.port, opts.user, opts.pass);
  try {
    await tr.sendMail({ envelope: { from: opts.from ?? 'alice@example.test', to }, raw });
    return 'ok';
  } catch (err) {
    return (err as { response?: string }).response ?? String(err);
  } finally {
    tr.close();
  }
}

/** Bob's newest stored copy: the envelope as stored and the MIME the mailbox shows. */
async function newestOfBob(): Promise<{ signer: string; role: string; raw: Buffer }> {
  const [row] = await t.db.query<{ data: Uint8Array; role: string }>(
    'SELECT b.data, mb.role FROM messages m JOIN blobs b ON b.id = m.blob_id JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE m.user_id = $1 ORDER BY m.id DESC LIMIT 1',
    [bob.userId],
  );
  const session = await accounts.authenticate('bob@example.test', PASSWORD);
  try {
    const verified = verifyMessage(JSON.parse(fromUtf8(openDelivered(row!.data, bob.userId, session.privateKey))));
    if (!verified.ok) throw verified.error;
    const content = openMessage(verified.message, session.privateKey);
    return { signer: verified.message.from, role: row!.role, raw: Buffer.from(content.mime!, 'base64') };
  } finally {
    session.lock();
  }
}

describe('submission listener', () => {
  it('refuses AUTH before STARTTLS with 538 5.7.11 and MAIL before AUTH with 530', async () => {
    const { session, greeting } = await RawSession.open(server.port);
    expect(greeting).toBe(`220 ${HOSTNAME} ESMTP LNMP Gateway submission`);
    const ehlo = await session.send('EHLO client.example.test\r\n');
    expect(ehlo.split('\r\n').map((l) => l.slice(4))).toEqual(expect.arrayContaining(['AUTH PLAIN LOGIN', 'STARTTLS']));
    expect(await session.send(`AUTH PLAIN ${Buffer.from(`\0alice@example.test\0${PASSWORD}`).toString('base64')}\r\n`)).toBe(
      '538 5.7.11 encryption required for requested authentication mechanism',
    );
    expect(await session.send('MAIL FROM:<alice@example.test>\r\n')).toBe('530 Error: authentication Required');
    await session.startTls();
    await session.send('EHLO client.example.test\r\n');
    expect(await session.send(`AUTH PLAIN ${Buffer.from(`\0alice@example.test\0${PASSWORD}`).toString('base64')}\r\n`)).toBe('235 Authentication successful');
    expect(await session.send('QUIT\r\n')).toMatch(/^221 /);
  });

  it('takes AUTH LOGIN with an app password over TLS', async () => {
    const unlocked = await accounts.authenticate('alice@example.test', PASSWORD);
    const appPassword = await accounts.addAppPassword(unlocked, 'phone');
    unlocked.lock();
    const { session } = await RawSession.open(server.port);
    await session.send('EHLO client.example.test\r\n');
    await session.startTls();
    await session.send('EHLO client.example.test\r\n');
    const b64 = (text: string) => `${Buffer.from(text).toString('base64')}\r\n`;
    expect(await session.send('AUTH LOGIN\r\n')).toBe('334 VXNlcm5hbWU6');
    expect(await session.send(b64('alice@example.test'))).toBe('334 UGFzc3dvcmQ6');
    expect(await session.send(b64(appPassword))).toBe('235 Authentication successful');
    expect(await session.send('MAIL FROM:<alice@example.test>\r\n')).toBe('250 Accepted');
    expect(await session.send('QUIT\r\n')).toMatch(/^221 /);
  });

  it('answers 535 5.7.8 to bad credentials, then 454 4.7.0 once the account is throttled, even to the right password', async () => {
    const throttled = await start();
    extra.push(throttled);
    const { session } = await RawSession.open(throttled.port);
    await session.send('EHLO client.example.test\r\n');
    await session.startTls();
    await session.send('EHLO client.example.test\r\n');
    const plain = (pass: string) => `AUTH PLAIN ${Buffer.from(`\0bob@example.test\0${pass}`).toString('base64')}\r\n`;
    for (let i = 0; i < 3; i++) expect(await session.send(plain('wrong password'))).toBe('535 5.7.8 authentication credentials invalid');
    expect(await session.send(plain(PASSWORD))).toBe('454 4.7.0 too many failed logins, try again later');
    session.end();
    // Another account from the same client is not affected.
    expect(await send(['bob@example.test'], message('other account'), { port: throttled.port })).toBe('ok');
  });

  it('delivers to a local user signed with the sender key, byte-exact behind a Received header; the recipient becomes a friend', async () => {
    const raw = message('local delivery');
    expect(await send(['bob@example.test'], raw)).toBe('ok');
    const stored = await newestOfBob();
    expect(stored.signer).toBe(alice.publicKey);
    // Alice is a stranger to Bob: Screener.
    expect(stored.role).toBe('screener');
    const text = stored.raw.toString('latin1');
    expect(text).toMatch(/^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.example\.test with ESMTPSA id [0-9a-f]{12}\r\n\tfor <bob@example\.test>;\r\n\tFri, 06 Jun 2025 07:08:09 \+0000\r\n/);
    expect(text.endsWith(raw)).toBe(true);
    expect(await contacts.classify(alice.userId, 'BOB@example.test')).toBe('friend');
    // Bob answers: Alice wrote to him, so his mail reaches her INBOX.
    expect(await send(['alice@example.test'], message('reply', 'bob@example.test', 'alice@example.test'), { from: 'bob@example.test', user: 'bob@example.test' })).toBe('ok');
    const box = await t.db.query<{ role: string }>('SELECT mb.role FROM messages m JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE m.user_id = $1 ORDER BY m.id DESC LIMIT 1', [alice.userId]);
    expect(box[0]!.role).toBe('inbox');
  });

  it('queues legacy and LNMP recipients (body sealed, one row each) and adds Date and Message-ID when missing', async () => {
    const lnmp = 'carol#abcdef@lnmp.example';
    const raw = 'From: alice@example.test\r\nTo: dave@remote.example\r\nSubject: no date\r\n\r\nHi.\r\n';
    expect(await send(['dave@remote.example', lnmp], raw, { from: 'ali@example.test' })).toBe('ok');
    const rows = await t.db.query<{ transport: string; recipient: string; domain: string; message_id: number; state: string }>(
      'SELECT transport, recipient, domain, message_id, state FROM outbound WHERE user_id = $1 ORDER BY id',
      [alice.userId],
    );
    expect(rows.map((r) => [r.transport, r.recipient, r.domain, r.state])).toEqual([
      ['smtp', 'dave@remote.example', 'remote.example', 'queued'],
      ['lnmp', lnmp, 'lnmp.example', 'queued'],
    ]);
    const queued = await queue.message(rows[0]!.message_id);
    expect(queued.envelopeFrom).toBe('ali@example.test');
    const text = Buffer.from(queued.raw).toString('latin1');
    expect(text).toMatch(/\r\nDate: Fri, 06 Jun 2025 07:08:09 \+0000\r\nMessage-ID: <[0-9a-f]{12}\.\d+@mail\.example\.test>\r\nFrom: alice@example\.test\r\n/);
    expect(text.endsWith(raw)).toBe(true);
    const [stored] = await t.db.query<{ data: Uint8Array }>('SELECT data FROM outbound_messages WHERE id = $1', [rows[0]!.message_id]);
    expect(Buffer.from(stored!.data).includes('no date')).toBe(false);
    expect(await contacts.classify(alice.userId, 'dave@remote.example')).toBe('friend');
    expect(await contacts.classify(alice.userId, lnmp)).toBe('friend');
  });

  it('refuses a sender or From that is not the user (550 5.7.1), an unknown local user (550 5.1.1), and queues nothing', async () => {
    const before = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbound');
    expect(await send(['dave@remote.example'], message('forged envelope'), { from: 'bob@example.test' })).toBe('550 5.7.1 sender address not owned by the authenticated user');
    expect(await send(['dave@remote.example'], message('forged from', 'Bob <bob@example.test>'))).toBe(
      '550 5.7.1 From header must name only addresses of the authenticated user',
    );
    expect(await send(['dave@remote.example'], message('two froms', 'alice@example.test, bob@example.test'))).toBe(
      '550 5.7.1 From header must name only addresses of the authenticated user',
    );
    expect(await send(['nobody@example.test'], message('unknown'))).toBe('550 5.1.1 no such user here');
    const after = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbound');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('serves implicit TLS on its own listener (465 style)', async () => {
    const implicit = await start({ implicitTls: true });
    extra.push(implicit);
    const tr = transport(implicit.port, 'alice@example.test', PASSWORD, true);
    await tr.sendMail({ envelope: { from: 'alice@example.test', to: ['bob@example.test'] }, raw: message('implicit tls') });
    tr.close();
    expect((await newestOfBob()).raw.toString('latin1')).toContain('Subject: implicit tls');
  });
});

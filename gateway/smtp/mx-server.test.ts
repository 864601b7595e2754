// The MX listener over real sockets and a real PostgreSQL schema: delivery into the Screener
// byte-exact behind Received and Authentication-Results, the exact replies for unknown users,
// relaying, size, smuggling (bare LF), a database that is down and unknown commands; STARTTLS
// with the generated certificate; mailauth through an injected resolver.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromPrivateKey, fromBase64, fromUtf8, openMessage, verifyMessage, type Identity } from '../../core/index.js';
import { AccountService } from '../../services/account-service.js';
import { ContactService } from '../../services/contact-service.js';
import { InboundMail } from '../../services/inbound-mail.js';
import { openDelivered, SEAL_ENVELOPE } from '../../services/message-crypto.js';
import { contactsGate } from '../../services/postage.js';
import { MailboxService } from '../../services/mailbox-service.js';
import { MessageService } from '../../services/message-service.js';
import { systemRng } from '../../services/random.js';
import type { Db } from '../../storage/db.js';
import { openPostgres } from '../../storage/db.js';
import { RawSession } from '../../test/helpers/smtp-session.js';
import { StorageError } from '../../storage/errors.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { TEST_POSTGRES_URL } from '../../test/helpers/services.js';
import { createLogger } from '../log.js';
import { loadTlsCredentials, SELF_SIGNED_KEY_FILE, TLS_DIR, type TlsCredentials } from '../tls.js';
import type { DNSResolver } from './authentication.js';
import { MX_MAX_MESSAGE_BYTES } from './limits.js';
import { startMxServer, type MxServer, type MxServerOptions } from './mx-server.js';

const kdf = { N: 1024, r: 8, p: 1 };
const HOSTNAME = 'mx.example.test';
const NOW = new Date(Date.UTC(2025, 2, 4, 5, 6, 7));
const PASSWORD = 'password123';

/** DNS as the tests want it: an SPF record for sender.test, nothing else exists. */
const resolver: DNSResolver = (name, rrtype) => {
  if (name === 'sender.test' && rrtype === 'TXT') return Promise.resolve([['v=spf1 ip4:127.0.0.1 -all']]);
  return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
};

const downDb = (db: Db): Db => {
  const down = () => Promise.reject(new StorageError('storage_unavailable', 'the database cannot be reached'));
  return { ...db, query: down, exec: down, transaction: down };
};

let t: TestDb;
let accounts: AccountService;
let mailboxes: MailboxService;
let messages: MessageService;
let contacts: ContactService;
let gateway: Identity;
let root: string;
let tls: TlsCredentials;
let mx: MxServer;
const extra: MxServer[] = [];
let alice: { userId: number; address: string; lnmpAddress: string };

function start(overrides: Partial<MxServerOptions> = {}): Promise<MxServer> {
  return startMxServer({
    host: '127.0.0.1',
    port: 0,
    hostname: HOSTNAME,
    tls,
    accounts,
    inbound: inboundFor(messages),
    resolver,
    logger: createLogger({ level: 'error', write: () => {} }),
    rng: systemRng,
    now: () => NOW,
    ...overrides,
  });
}

function inboundFor(target: MessageService): InboundMail {
  return new InboundMail({ messages: target, gate: contactsGate(contacts), gateway, rng: systemRng, now: () => NOW.getTime() });
}

async function startExtra(overrides: Partial<MxServerOptions>): Promise<MxServer> {
  const server = await start(overrides);
  extra.push(server);
  return server;
}

beforeAll(async () => {
  t = await openTestDb('postgres');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  mailboxes = new MailboxService(t.db, { rng: systemRng });
  messages = new MessageService(t.db, { rng: systemRng });
  contacts = new ContactService(t.db, { gatewaySecret: systemRng(32) });
  gateway = identityFromPrivateKey(systemRng(32));
  await accounts.addDomain('example.test');
  await accounts.addDomain('other.test');
  const created = await accounts.createUser({ address: 'alice@example.test', password: PASSWORD });
  alice = { userId: created.userId, address: created.address, lnmpAddress: created.lnmpAddress };
  await accounts.addAlias(alice.userId, 'al@other.test');
  root = mkdtempSync(join(tmpdir(), 'lnmp-mx-test-'));
  tls = await loadTlsCredentials({ dataDir: root, hostname: HOSTNAME, tls: {} });
  mx = await start();
});

afterAll(async () => {
  await Promise.all([mx.close(), ...extra.map((s) => s.close())]);
  await t.dispose();
  rmSync(root, { recursive: true, force: true });
});


/** Opens a session and runs EHLO, MAIL FROM and one RCPT TO, checking each. */
async function transaction(port: number, rcpt = 'alice@example.test'): Promise<RawSession> {
  const { session } = await RawSession.open(port);
  expect(await session.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
  expect(await session.send('MAIL FROM:<bob@sender.test>\r\n')).toBe('250 Accepted');
  expect(await session.send(`RCPT TO:<${rcpt}>\r\n`)).toBe('250 Accepted');
  return session;
}

async function screener(role: 'screener' | 'inbox' = 'screener'): Promise<Buffer[]> {
  const s = await accounts.authenticate(alice.address, PASSWORD);
  try {
    const box = await mailboxes.byRole(s, role);
    const list = await messages.list(s, box.id);
    const fetched = await messages.fetch(s, box.id, list.map((m) => m.uid));
    return fetched.map((m) => Buffer.from(m.raw));
  } finally {
    s.lock();
  }
}

async function storedCount(): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE user_id = $1', [alice.userId]);
  return row!.n;
}

const message = (subject: string, body = 'Hello Alice.\r\n') =>
  `From: Bob <bob@sender.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@sender.test>\r\n\r\n${body}`;

const RECEIVED_RE = (protocol: string) =>
  new RegExp(
    `^Received: from client\\.sender\\.test \\(\\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby mx\\.example\\.test with ${protocol} id ([0-9a-f]{12})\\r\\n\\tfor <alice@example\\.test>;\\r\\n\\tTue, 04 Mar 2025 05:06:07 \\+0000\\r\\n`,
  );

/** Splits a stored message into the prepended trace headers and the original, checking the shape. */
function splitStored(stored: Buffer, original: string, protocol = 'ESMTP'): { received: string; authResults: string } {
  const tail = stored.subarray(stored.length - Buffer.byteLength(original, 'latin1'));
  expect(tail.toString('latin1')).toBe(original);
  const prefix = stored.subarray(0, stored.length - tail.length).toString('latin1');
  const m = RECEIVED_RE(protocol).exec(prefix);
  expect(m, prefix).not.toBeNull();
  const authResults = prefix.slice(m![0].length);
  expect(authResults).toMatch(/^Authentication-Results: mx\.example\.test;\r\n [^\r\n]+(?:\r\n[ \t][^\r\n]+)*\r\n$/);
  return { received: m![0], authResults };
}

describe('MX listener', () => {
  it('greets with the host name, advertises SIZE, 8BITMIME, SMTPUTF8 and STARTTLS, and no AUTH', async () => {
    const { session, greeting } = await RawSession.open(mx.port);
    expect(greeting).toBe(`220 ${HOSTNAME} ESMTP LNMP Gateway`);
    const ehlo = (await session.send('EHLO client.sender.test\r\n')).split('\r\n').map((l) => l.slice(4));
    expect(ehlo).toEqual(expect.arrayContaining(['STARTTLS', '8BITMIME', 'SMTPUTF8', `SIZE ${MX_MAX_MESSAGE_BYTES}`]));
    expect(ehlo.some((l) => l.startsWith('AUTH'))).toBe(false);
    expect(await session.send('AUTH PLAIN AGFsaWNlAHBhc3N3b3JkMTIz\r\n')).toBe('500 Error: command not recognized');
    expect(await session.send('QUIT\r\n')).toMatch(/^221 /);
  });

  it('stores an accepted message in the Screener: Received + Authentication-Results + the original, byte-exact', async () => {
    const before = await storedCount();
    const session = await transaction(mx.port);
    expect(await session.send('DATA\r\n')).toBe('354 End data with <CR><LF>.<CR><LF>');
    // A dot-stuffed line, 8-bit text and trailing spaces all survive unchanged.
    const original = message('byte exact', 'Line one  \r\n.leading dot\r\n\xc3\xa9t\xc3\xa9\r\n');
    const reply = await session.send(`${original.replace(/\r\n\./g, '\r\n..')}.\r\n`);
    expect(reply).toMatch(/^250 2\.0\.0 OK queued as [0-9a-f]{12}$/);
    session.end();
    expect(await storedCount()).toBe(before + 1);
    const stored = (await screener()).find((m) => m.includes('byte exact'))!;
    const { received, authResults } = splitStored(stored, original);
    expect(received).toContain(`id ${reply.slice(-12)}`);
    expect(authResults).toContain('spf=pass');
  });

  it('stores each accepted message as an LNMP envelope signed by the gateway and sealed to the recipient only', async () => {
    const session = await transaction(mx.port);
    await session.send('DATA\r\n');
    const original = message('as envelope');
    expect(await session.send(`${original}.\r\n`)).toMatch(/^250 /);
    session.end();
    const [blob] = await t.db.query<{ seal: number; data: Uint8Array }>(
      'SELECT b.seal, b.data FROM blobs b JOIN messages m ON m.blob_id = b.id WHERE m.user_id = $1 ORDER BY m.id DESC LIMIT 1',
      [alice.userId],
    );
    expect(blob!.seal).toBe(SEAL_ENVELOPE);
    const unlocked = await accounts.authenticate(alice.address, PASSWORD);
    try {
      const verified = verifyMessage(JSON.parse(fromUtf8(openDelivered(blob!.data, alice.userId, unlocked.privateKey))));
      expect(verified.ok).toBe(true);
      if (!verified.ok) return;
      expect(verified.message.from).toBe(gateway.publicKey);
      expect(verified.message.to).toEqual([unlocked.publicKey]);
      expect(verified.message.timestamp).toBe(Math.floor(NOW.getTime() / 1000));
      const content = openMessage(verified.message, unlocked.privateKey);
      expect(content.subject).toBe('as envelope');
      expect(content.body).toBe('Hello Alice.\n');
      // The signed MIME is what the mailbox shows: trace headers (the attestation) + the original.
      const mime = Buffer.from(fromBase64(content.mime!));
      splitStored(mime, original);
      expect((await screener()).some((m) => m.equals(mime))).toBe(true);
    } finally {
      unlocked.lock();
    }
  });

  it('puts mail from a proven friend in the INBOX; an address of a friend without SPF/DKIM/DMARC proof goes to the Screener', async () => {
    await contacts.addFriends(alice.userId, ['Bob@Sender.test']);
    try {
      // MAIL FROM bob@sender.test passes SPF for 127.0.0.1 and is aligned with From: proven.
      let session = await transaction(mx.port);
      await session.send('DATA\r\n');
      expect(await session.send(`${message('from a friend')}.\r\n`)).toMatch(/^250 /);
      session.end();
      // The same From, but a MAIL FROM domain without SPF: not proven.
      ({ session } = await RawSession.open(mx.port));
      await session.send('EHLO client.sender.test\r\n');
      expect(await session.send('MAIL FROM:<bounce@elsewhere.test>\r\n')).toBe('250 Accepted');
      expect(await session.send('RCPT TO:<alice@example.test>\r\n')).toBe('250 Accepted');
      await session.send('DATA\r\n');
      expect(await session.send(`${message('forged friend')}.\r\n`)).toMatch(/^250 /);
      session.end();
      const inbox = await screener('inbox');
      const held = await screener();
      expect(inbox.filter((m) => m.includes('from a friend'))).toHaveLength(1);
      expect(inbox.some((m) => m.includes('forged friend'))).toBe(false);
      expect(held.filter((m) => m.includes('forged friend'))).toHaveLength(1);
      expect(held.some((m) => m.includes('from a friend'))).toBe(false);
    } finally {
      await t.db.query('DELETE FROM contacts WHERE user_id = $1', [alice.userId]);
    }
  });

  it('delivers what nodemailer sends, to an alias and to the LNMP address with its checksum in upper case', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, ignoreTLS: true, name: 'client.sender.test' });
    const original = message('via nodemailer');
    const lnmpUpper = alice.lnmpAddress.replace(/#(\w+)@/, (_m, sum: string) => `#${sum.toUpperCase()}@`);
    const info = await transport.sendMail({ envelope: { from: 'bob@sender.test', to: ['alice@example.test'] }, raw: original });
    expect(info.accepted).toEqual(['alice@example.test']);
    const both = await transport.sendMail({ envelope: { from: 'bob@sender.test', to: ['al@other.test', lnmpUpper] }, raw: message('two addresses') });
    expect(both.accepted).toEqual(['al@other.test', lnmpUpper]);
    transport.close();
    const stored = await screener();
    splitStored(stored.find((m) => m.includes('via nodemailer'))!, original);
    // Two addresses of one user: one copy, and the Received header names no recipient.
    const copies = stored.filter((m) => m.includes('two addresses'));
    expect(copies).toHaveLength(1);
    expect(copies[0]!.toString('latin1')).toMatch(/^Received: from client\.sender\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTP id [0-9a-f]{12};\r\n/);
  });

  it('works over STARTTLS with the generated certificate (Received says ESMTPS)', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, name: 'client.sender.test' });
    const original = message('over tls');
    await transport.sendMail({ envelope: { from: 'bob@sender.test', to: ['alice@example.test'] }, raw: original });
    transport.close();
    splitStored((await screener()).find((m) => m.includes('over tls'))!, original, 'ESMTPS');
  });

  it('generates the certificate once, key owner-only, and reuses it', async () => {
    expect(statSync(join(root, TLS_DIR, SELF_SIGNED_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(tls.cert.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const again = await loadTlsCredentials({ dataDir: root, hostname: HOSTNAME, tls: {} });
    expect(again.source).toBe('reused');
    expect(again.cert.equals(tls.cert)).toBe(true);
  });

  it('answers 550 5.1.1 for an unknown user on a hosted domain and 554 5.7.1 for any other domain', async () => {
    const { session } = await RawSession.open(mx.port);
    await session.send('EHLO client.sender.test\r\n');
    await session.send('MAIL FROM:<bob@sender.test>\r\n');
    expect(await session.send('RCPT TO:<nobody@example.test>\r\n')).toBe('550 5.1.1 no such user here');
    expect(await session.send('RCPT TO:<nobody@Other.Test>\r\n')).toBe('550 5.1.1 no such user here');
    expect(await session.send('RCPT TO:<alice@elsewhere.test>\r\n')).toBe('554 5.7.1 relaying denied');
    expect(await session.send('RCPT TO:<alice@example.test.evil.test>\r\n')).toBe('554 5.7.1 relaying denied');
    expect(await session.send('DATA\r\n')).toBe('503 Error: need RCPT command');
    session.end();
  });

  it('refuses a message over the size limit with 552 5.3.4 and stores nothing', async () => {
    const small = await startExtra({ maxMessageBytes: 1024 });
    const before = await storedCount();
    const session = await transaction(small.port);
    await session.send('DATA\r\n');
    expect(await session.send(`${message('too big', `${'x'.repeat(78)}\r\n`.repeat(20))}.\r\n`)).toBe('552 5.3.4 message too big for system');
    expect(await session.send('MAIL FROM:<bob@sender.test> SIZE=2048\r\n')).toBe('552 Error: message exceeds fixed maximum message size 1024');
    session.end();
    expect(await storedCount()).toBe(before);
  });

  describe('SMTP smuggling: content with a bare <LF> is refused with 550 5.5.2 and nothing is stored', () => {
    // smtp-server ends DATA only at <CR><LF>.<CR><LF>: each variant below stays content, so the
    // "smuggled" transaction after it is never run as commands, and the message is refused.
    const smuggled = 'MAIL FROM:<evil@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nforged\r\n';
    it.each([
      ['<LF>.<CR><LF>', `${message('variant 1', 'body')}\n.\r\n${smuggled}`],
      ['<CR><LF>.<LF>', `${message('variant 2', 'body')}\r\n.\n${smuggled}`],
      ['<LF>.<LF>', `${message('variant 3', 'body')}\n.\n${smuggled}`],
      ['a bare <LF> line ending', `${message('variant 4', 'one\ntwo\r\n')}`],
    ])('%s', async (_name, content) => {
      const before = await storedCount();
      const session = await transaction(mx.port);
      expect(await session.send('DATA\r\n')).toBe('354 End data with <CR><LF>.<CR><LF>');
      expect(await session.send(`${content}${content.endsWith('\r\n') ? '' : '\r\n'}.\r\n`)).toBe('550 5.5.2 bare <LF> received; lines must end with <CR><LF>');
      // Exactly one reply came for the whole DATA: the next one answers NOOP.
      expect(await session.send('NOOP\r\n')).toBe('250 OK');
      session.end();
      expect(await storedCount()).toBe(before);
    });
  });

  it('answers 451 4.3.0 when the database is down at RCPT or at delivery, never 250', async () => {
    const atRcpt = await startExtra({ accounts: new AccountService(downDb(t.db), { rng: systemRng }) });
    const { session } = await RawSession.open(atRcpt.port);
    await session.send('EHLO client.sender.test\r\n');
    await session.send('MAIL FROM:<bob@sender.test>\r\n');
    expect(await session.send('RCPT TO:<alice@example.test>\r\n')).toBe('451 4.3.0 temporary local problem, try again later');
    session.end();

    // A real connection pool that has been closed, behind the delivery only.
    const closed = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1, schema: t.schema! });
    await closed.close();
    for (const db of [downDb(t.db), closed]) {
      const atData = await startExtra({ inbound: inboundFor(new MessageService(db, { rng: systemRng })) });
      const before = await storedCount();
      const s = await transaction(atData.port);
      await s.send('DATA\r\n');
      expect(await s.send(`${message('db down')}.\r\n`)).toBe('451 4.3.0 temporary local problem, try again later');
      s.end();
      expect(await storedCount()).toBe(before);
    }
  });

  it('answers 452 4.2.2 when the mailbox is over quota', async () => {
    await t.db.query('UPDATE users SET quota_bytes = used_bytes WHERE id = $1', [alice.userId]);
    try {
      const session = await transaction(mx.port);
      await session.send('DATA\r\n');
      expect(await session.send(`${message('over quota')}.\r\n`)).toBe('452 4.2.2 mailbox full, try again later');
      session.end();
    } finally {
      await t.db.query('UPDATE users SET quota_bytes = DEFAULT WHERE id = $1', [alice.userId]);
    }
  });

  it('closes a session after ten unknown commands (smtp-server: nine 500s, then 421), and other sessions keep working', async () => {
    const { session: bad } = await RawSession.open(mx.port);
    const { session: open } = await RawSession.open(mx.port);
    await open.send('EHLO client.sender.test\r\n');
    const replies: string[] = [];
    for (let i = 0; i < 10; i++) replies.push(await bad.send(`BOGUS${i}\r\n`));
    expect(replies.slice(0, 9)).toEqual(Array.from({ length: 9 }, () => '500 Error: command not recognized'));
    expect(replies[9]).toBe('421 Error: too many unrecognized commands');
    await bad.closed;
    // A session opened before is unaffected, and a new one delivers.
    expect(await open.send('NOOP\r\n')).toBe('250 OK');
    open.end();
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mx.port, secure: false, ignoreTLS: true, name: 'client.sender.test' });
    const info = await transport.sendMail({ envelope: { from: 'bob@sender.test', to: ['alice@example.test'] }, raw: message('after a bad session') });
    transport.close();
    expect(info.response).toMatch(/^250 2\.0\.0 OK queued as /);
  });
});

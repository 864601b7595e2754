// Bad input for the MX listener, over real sockets and a real PostgreSQL schema: each case
// asserts the exact reply, that the connection (or at least the server) survives, and that a
// session opened before the bad input still completes a delivery afterwards. What the gateway
// accepts it stores byte-exact behind the trace headers: NULs, 8-bit and invalid UTF-8 headers,
// lines over 998 octets, broken MIME, bare <CR>. The bare-<LF> smuggling variants are in
// mx-server.test.ts; the ones with a bare <CR> are here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromPrivateKey } from '../../core/index.js';
import { AccountService } from '../../services/account-service.js';
import { ContactService } from '../../services/contact-service.js';
import { InboundMail } from '../../services/inbound-mail.js';
import { MailboxService } from '../../services/mailbox-service.js';
import { MessageService } from '../../services/message-service.js';
import { contactsGate } from '../../services/postage.js';
import { systemRng } from '../../services/random.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { createLogger } from '../log.js';
import { loadTlsCredentials } from '../tls.js';
import type { DNSResolver } from './authentication.js';
import { MX_MAX_COMMAND_LINE_BYTES, MX_MAX_RECIPIENTS, SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS } from './limits.js';
import { startMxServer, type MxServer, type MxServerOptions } from './mx-server.js';
import { RawSession } from '../../test/helpers/smtp-session.js';

const kdf = { N: 1024, r: 8, p: 1 };
const HOSTNAME = 'mx.example.test';
const NOW = new Date(Date.UTC(2025, 2, 4, 5, 6, 7));
const PASSWORD = 'password123';
const MB = 1024 * 1024;
/** The size limit of the second server, below the 10 MB line. */
const SMALL_LIMIT = 1 * MB;

const START_DATA = '354 End data with <CR><LF>.<CR><LF>';
const QUEUED = /^250 2\.0\.0 OK queued as [0-9a-f]{12}$/;
const UNKNOWN_COMMAND = '500 Error: command not recognized';

/** DNS as the tests want it: an SPF record for sender.test, nothing else exists. */
const resolver: DNSResolver = (name, rrtype) => {
  if (name === 'sender.test' && rrtype === 'TXT') return Promise.resolve([['v=spf1 ip4:127.0.0.1 -all']]);
  return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
};

let t: TestDb;
let accounts: AccountService;
let mailboxes: MailboxService;
let messages: MessageService;
let root: string;
let aliceId: number;
/** The default limits. */
let mx: MxServer;
/** maxMessageBytes = SMALL_LIMIT. */
let small: MxServer;

beforeAll(async () => {
  t = await openTestDb('postgres');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  mailboxes = new MailboxService(t.db, { rng: systemRng });
  messages = new MessageService(t.db, { rng: systemRng });
  await accounts.addDomain('example.test');
  await accounts.addDomain('other.test');
  const contacts = new ContactService(t.db, { gatewaySecret: systemRng(32) });
  const inbound = new InboundMail({ messages, gate: contactsGate(contacts), gateway: identityFromPrivateKey(systemRng(32)), rng: systemRng, now: () => NOW.getTime() });
  // Alice receives the bad input; Carol receives the deliveries that show the server still works.
  aliceId = (await accounts.createUser({ address: 'alice@example.test', password: PASSWORD })).userId;
  await accounts.createUser({ address: 'carol@example.test', password: PASSWORD });
  root = mkdtempSync(join(tmpdir(), 'lnmp-mx-bad-input-'));
  const tls = await loadTlsCredentials({ dataDir: root, hostname: HOSTNAME, tls: {} });
  const start = (overrides: Partial<MxServerOptions> = {}) =>
    startMxServer({
      host: '127.0.0.1',
      port: 0,
      hostname: HOSTNAME,
      tls,
      accounts,
      inbound,
      resolver,
      logger: createLogger({ level: 'error', write: () => {} }),
      rng: systemRng,
      now: () => NOW,
      ...overrides,
    });
  [mx, small] = await Promise.all([start(), start({ maxMessageBytes: SMALL_LIMIT })]);
});

afterAll(async () => {
  await Promise.all([mx?.close(), small?.close()]);
  await t?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});


/** Connects and checks the greeting. */
async function greeted(port: number): Promise<RawSession> {
  const { session, greeting } = await RawSession.open(port);
  expect(greeting).toBe(`220 ${HOSTNAME} ESMTP LNMP Gateway`);
  return session;
}

/** Opens a session and runs EHLO, MAIL FROM and one RCPT TO, checking each. */
async function transaction(port: number, rcpt = 'alice@example.test'): Promise<RawSession> {
  const session = await greeted(port);
  expect(await session.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
  expect(await session.send('MAIL FROM:<bob@sender.test>\r\n')).toBe('250 Accepted');
  expect(await session.send(`RCPT TO:<${rcpt}>\r\n`)).toBe('250 Accepted');
  return session;
}

/**
 * Opens a session to Carol up to RCPT before the bad input; the returned function sends its
 * message and expects 250, proving that the server still delivers for others.
 */
async function bystander(port = mx.port): Promise<() => Promise<void>> {
  const session = await transaction(port, 'carol@example.test');
  return async () => {
    expect(await session.send('DATA\r\n')).toBe(START_DATA);
    expect(await session.send(wire(message('bystander')))).toMatch(QUEUED);
    expect(await session.send('QUIT\r\n')).toBe('221 Bye');
    await session.closed;
  };
}

const message = (subject: string, body = 'Hello Alice.\r\n') =>
  `From: Bob <bob@sender.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@sender.test>\r\n\r\n${body}`;

/** DATA content as sent: dot-stuffed, then the terminator. `content` ends in CRLF. */
const wire = (content: string) => `${content.replace(/(^|\r\n)\./g, '$1..')}.\r\n`;

/** The UIDs in Alice's Screener, and the bytes of those asked for. */
async function screener(fetch: (uids: number[]) => number[] = () => []): Promise<{ uids: number[]; raw: Buffer[] }> {
  const s = await accounts.authenticate('alice@example.test', PASSWORD);
  try {
    const box = await mailboxes.byRole(s, 'screener');
    const uids = (await messages.list(s, box.id)).map((m) => m.uid);
    const fetched = await messages.fetch(s, box.id, fetch(uids));
    return { uids, raw: fetched.map((m) => Buffer.from(m.raw)) };
  } finally {
    s.lock();
  }
}

/** What `run` added to Alice's Screener, in UID order. */
async function storedBy(run: () => Promise<void>): Promise<Buffer[]> {
  const before = new Set((await screener()).uids);
  await run();
  return (await screener((uids) => uids.filter((uid) => !before.has(uid)))).raw;
}

/** Only the trace headers precede the original, which follows byte for byte. */
const TRACE_HEADERS =
  /^Received: from client\.sender\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with E?SMTP id [0-9a-f]{12}(?:\r\n\tfor <alice@example\.test>)?;\r\n\tTue, 04 Mar 2025 05:06:07 \+0000\r\nAuthentication-Results: mx\.example\.test;\r\n [^\r\n]+(?:\r\n[ \t][^\r\n]+)*\r\n$/;

function expectStored(stored: Buffer | undefined, original: string | Buffer): void {
  const bytes = typeof original === 'string' ? Buffer.from(original, 'latin1') : original;
  expect(stored).toBeDefined();
  const tail = stored!.subarray(stored!.length - bytes.length);
  // Compared as buffers: a 10 MB string diff helps nobody.
  expect(tail.equals(bytes)).toBe(true);
  expect(stored!.subarray(0, stored!.length - bytes.length).toString('latin1')).toMatch(TRACE_HEADERS);
}

/** Sends one message to Alice in a new session and expects it queued. */
async function deliver(original: string, mailFrom = 'MAIL FROM:<bob@sender.test>'): Promise<void> {
  const session = await greeted(mx.port);
  expect(await session.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
  expect(await session.send(`${mailFrom}\r\n`)).toBe('250 Accepted');
  expect(await session.send('RCPT TO:<alice@example.test>\r\n')).toBe('250 Accepted');
  expect(await session.send('DATA\r\n')).toBe(START_DATA);
  expect(await session.send(wire(original))).toMatch(QUEUED);
  expect(await session.send('QUIT\r\n')).toBe('221 Bye');
}

describe('MX bad input', () => {
  describe('NUL bytes', () => {
    it('in command lines: 500 in a command name, 501 in an EHLO name or an address; the session goes on', async () => {
      const finish = await bystander();
      const original = message('after nul commands');
      const stored = await storedBy(async () => {
        const s = await greeted(mx.port);
        expect(await s.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
        expect(await s.send('NO\0OP\r\n')).toBe(UNKNOWN_COMMAND);
        expect(await s.send('\0\r\n')).toBe(UNKNOWN_COMMAND);
        expect(await s.send('EHLO client\0.sender.test\r\n')).toBe('501 Error: Bad hostname syntax');
        expect(await s.send('MAIL FROM:<bob\0@sender.test>\r\n')).toBe('501 Error: Bad sender address syntax');
        expect(await s.send('MAIL FROM:<bob@sender.test> ENVID=a\0b\r\n')).toBe('501 Error: Bad sender address syntax');
        expect(await s.send('MAIL FROM:<bob@sender.test>\r\n')).toBe('250 Accepted');
        expect(await s.send('RCPT TO:<alice@example.test\0>\r\n')).toBe('501 Error: Bad recipient address syntax');
        expect(await s.send('RCPT TO:<alice@example.test>\r\n')).toBe('250 Accepted');
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        expect(await s.send(wire(original))).toMatch(QUEUED);
        expect(await s.send('QUIT\r\n')).toBe('221 Bye');
      });
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      await finish();
    });

    it('in headers and body: accepted and stored byte-exact', async () => {
      const finish = await bystander();
      const original = message('nul\0in subject', 'before\0after\r\n\0\r\n\0\0\0\r\n').replace('To:', 'X-Nul: a\0b\r\nTo:');
      const stored = await storedBy(() => deliver(original));
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      await finish();
    });
  });

  it('8-bit headers (UTF-8 and invalid UTF-8), with and without BODY=8BITMIME SMTPUTF8: accepted byte-exact', async () => {
    const finish = await bystander();
    // Raw UTF-8 (RFC 6532) in From, Subject and a display name; 0xff 0xfe and a lone
    // continuation byte are not UTF-8 at all; 0x80-0x9f are C1 controls in latin1.
    const utf8 = 'From: Bj\xc3\xb8rn <bob@sender.test>\r\nTo: \xc3\x85lice <alice@example.test>\r\nSubject: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa8\r\nMessage-ID: <utf8@sender.test>\r\n\r\nbody\r\n';
    const invalid = 'From: Bob <bob@sender.test>\r\nTo: alice@example.test\r\nSubject: \xff\xfe broken \x80\x9f \xc3\r\nX-Latin1: Gr\xfc\xdfe\r\nMessage-ID: <invalid@sender.test>\r\n\r\n\xff body\r\n';
    const stored = await storedBy(async () => {
      await deliver(utf8, 'MAIL FROM:<bob@sender.test> BODY=8BITMIME SMTPUTF8');
      await deliver(invalid, 'MAIL FROM:<bob@sender.test> BODY=8BITMIME SMTPUTF8');
      await deliver(invalid);
    });
    expect(stored).toHaveLength(3);
    expectStored(stored[0], utf8);
    expectStored(stored[1], invalid);
    expectStored(stored[2], invalid);
    await finish();
  });

  describe('long lines', () => {
    it(`a command line over ${MX_MAX_COMMAND_LINE_BYTES} bytes gets 421 and the connection is closed; one of exactly that length is served`, async () => {
      const finish = await bystander();
      const s = await greeted(mx.port);
      const longest = `NOOP ${'x'.repeat(MX_MAX_COMMAND_LINE_BYTES - 5)}`;
      expect(await s.send(`${longest}\r\n`)).toBe('250 OK');
      expect(await s.send(`${longest}x\r\n`)).toBe('421 Error: Command line too long');
      await s.closed;
      await finish();
    });

    it('a 10 MB command line without CRLF gets 421 before any line end arrives, and the connection is closed', async () => {
      const finish = await bystander();
      const s = await greeted(mx.port);
      // No CRLF is ever sent: a server that waited for the end of the line would never answer.
      expect(await s.send(Buffer.alloc(10 * MB, 'A'))).toBe('421 Error: Command line too long');
      await s.closed;
      expect(s.received).toEqual([`220 ${HOSTNAME} ESMTP LNMP Gateway`, '421 Error: Command line too long']);
      await finish();
    });

    it('a 10 MB line in DATA over the size limit: 552 5.3.4, nothing stored, the session goes on', async () => {
      const finish = await bystander(small.port);
      const stored = await storedBy(async () => {
        const s = await transaction(small.port);
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        expect(await s.send(wire(message('ten megabytes, too big', `${'y'.repeat(10 * MB)}\r\n`)))).toBe('552 5.3.4 message too big for system');
        expect(await s.send('NOOP\r\n')).toBe('250 OK');
        expect(await s.send('QUIT\r\n')).toBe('221 Bye');
      });
      expect(stored).toHaveLength(0);
      await finish();
    });

    it('a 1 MB line in DATA under the size limit: accepted byte-exact (no 998-octet limit: the gateway stores, never rewrites)', async () => {
      const finish = await bystander();
      const original = message('one megabyte line', `${'z'.repeat(MB)}\r\n`);
      const stored = await storedBy(() => deliver(original));
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      await finish();
    });

    it('a 10 MB line and a 2 MB message of ordinary lines in DATA under the size limit: accepted byte-exact', async () => {
      const finish = await bystander();
      const lines = Array.from({ length: 27_000 }, (_, i) => `${String(i).padStart(6, '0')} ${'o'.repeat(70)}\r\n`).join('');
      for (const original of [message('ten megabyte line', `${'w'.repeat(10 * MB)}\r\n`), message('two megabytes of lines', lines)]) {
        const stored = await storedBy(() => deliver(original));
        expect(stored).toHaveLength(1);
        expectStored(stored[0], original);
      }
      await finish();
    });
  });

  it('broken multipart bodies (no boundary parameter, boundary never used, unterminated, garbage): accepted byte-exact', async () => {
    const finish = await bystander();
    const head = (subject: string, contentType: string) =>
      `From: Bob <bob@sender.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n`;
    const originals = [
      `${head('no boundary parameter', 'multipart/mixed')}--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1--\r\n`,
      `${head('boundary never used', 'multipart/alternative; boundary="b1"')}just text, no parts at all\r\n`,
      `${head('unterminated', 'multipart/mixed; boundary=b1')}--b1\r\nContent-Type: multipart/related; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>cut\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not base64!!\r\n`,
      `${head('garbage', 'multipart/mixed; boundary="')}--\r\n--\r\n\r\n--b1-- trailing\r\nContent-Type: ;;;\r\n`,
    ];
    const stored = await storedBy(async () => {
      for (const original of originals) await deliver(original);
    });
    expect(stored).toHaveLength(originals.length);
    originals.forEach((original, i) => expectStored(stored[i], original));
    await finish();
  });

  it('a multipart message of 1,001 parts and one nested 1,000 deep: accepted byte-exact (kept whole when the MIME parser gives up)', async () => {
    const flat = Array.from({ length: 1_001 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const wide = message('a thousand parts', `${flat}--b--\r\n`).replace('Message-ID:', 'Content-Type: multipart/mixed; boundary="b"\r\nMessage-ID:');
    const nested = Array.from({ length: 1_000 }, (_, i) => `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n`).join('');
    const deep = message('nested deep', `${nested}leaf\r\n`).replace('Message-ID:', 'Content-Type: multipart/mixed; boundary="n0"\r\nMessage-ID:');
    for (const original of [wide, deep]) {
      const stored = await storedBy(() => deliver(original));
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
    }
  });

  describe('huge header count', () => {
    it('10,000 header lines within the size limit: accepted byte-exact while another session delivers', async () => {
      const finish = await bystander();
      const many = Array.from({ length: 10_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
      const original = message('many headers').replace('Message-ID:', `${many}Message-ID:`);
      const stored = await storedBy(async () => {
        const s = await transaction(mx.port);
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        // The other session's delivery runs while this message is received and checked.
        const [reply] = await Promise.all([s.send(wire(original)), finish()]);
        expect(reply).toMatch(QUEUED);
        s.end();
      });
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
    });

    it('100,000 header lines and one 2 MB header line within the size limit: accepted byte-exact', async () => {
      const many = Array.from({ length: 100_000 }, (_, i) => `X-H${i}: v\r\n`).join('');
      for (const original of [message('100k headers').replace('Message-ID:', `${many}Message-ID:`), message('long header').replace('Message-ID:', `X-Long: ${'h'.repeat(2 * MB)}\r\nMessage-ID:`)]) {
        const stored = await storedBy(() => deliver(original));
        expect(stored).toHaveLength(1);
        expectStored(stored[0], original);
      }
    });
  });

  describe('pipelining', () => {
    it('MAIL, RCPT, DATA, the message and QUIT in one write (after EHLO, and with HELO in the same write)', async () => {
      const finish = await bystander();
      const original = message('all at once');
      const stored = await storedBy(async () => {
        const afterEhlo = await greeted(mx.port);
        expect(await afterEhlo.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
        afterEhlo.write(`MAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n${wire(original)}QUIT\r\n`);
        const replies = await afterEhlo.replies(5);
        expect(replies.slice(0, 3)).toEqual(['250 Accepted', '250 Accepted', START_DATA]);
        expect(replies[3]).toMatch(QUEUED);
        expect(replies[4]).toBe('221 Bye');
        await afterEhlo.closed;

        // HELO negotiates nothing, PIPELINING included; the server still answers in order.
        const helo = await greeted(mx.port);
        helo.write(`HELO client.sender.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n${wire(original)}QUIT\r\n`);
        const heloReplies = await helo.replies(6);
        expect(heloReplies.slice(0, 4)).toEqual([`250 ${HOSTNAME} Nice to meet you, [127.0.0.1]`, '250 Accepted', '250 Accepted', START_DATA]);
        expect(heloReplies[4]).toMatch(QUEUED);
        expect(heloReplies[5]).toBe('221 Bye');
        await helo.closed;
      });
      expect(stored).toHaveLength(2);
      expectStored(stored[0], original);
      expectStored(stored[1], original);
      expect(stored[0]!.toString('latin1')).toMatch(/ with ESMTP id /);
      expect(stored[1]!.toString('latin1')).toMatch(/ with SMTP id /);
      await finish();
    });

    it('a pipelined transaction whose recipient is refused: DATA gets 503 and the message lines are answered as commands', async () => {
      const finish = await bystander();
      const stored = await storedBy(async () => {
        const s = await greeted(mx.port);
        s.write('EHLO client.sender.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n');
        const replies = await s.replies(9);
        expect(replies[0]).toMatch(/^250-/);
        expect(replies.slice(1)).toEqual([
          '250 Accepted',
          '550 5.1.1 no such user here',
          '503 Error: need RCPT command',
          UNKNOWN_COMMAND,
          UNKNOWN_COMMAND,
          UNKNOWN_COMMAND,
          UNKNOWN_COMMAND,
          '221 Bye',
        ]);
        await s.closed;
      });
      expect(stored).toHaveLength(0);
      await finish();
    });

    it(`1,000 pipelined RCPTs: the first ${MX_MAX_RECIPIENTS} accepted, the rest 452 4.5.3; the message is delivered once`, async () => {
      // Distinct addresses of one user: each counts against the limit, and one copy is stored.
      await Promise.all(Array.from({ length: MX_MAX_RECIPIENTS }, (_, i) => accounts.addAlias(aliceId, `r${i}@other.test`)));
      const finish = await bystander();
      const original = message('many recipients');
      const stored = await storedBy(async () => {
        const s = await greeted(mx.port);
        expect(await s.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
        const rcpts = Array.from({ length: 1000 }, (_, i) => `RCPT TO:<r${i}@other.test>\r\n`).join('');
        s.write(`MAIL FROM:<bob@sender.test>\r\n${rcpts}`);
        const replies = await s.replies(1001);
        expect(replies[0]).toBe('250 Accepted');
        expect(replies.slice(1, MX_MAX_RECIPIENTS + 1)).toEqual(Array.from({ length: MX_MAX_RECIPIENTS }, () => '250 Accepted'));
        expect(new Set(replies.slice(MX_MAX_RECIPIENTS + 1))).toEqual(new Set(['452 4.5.3 too many recipients']));
        // At the limit an address already accepted is still taken: it replaces its entry.
        expect(await s.send('RCPT TO:<R7@other.test>\r\n')).toBe('250 Accepted');
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        expect(await s.send(wire(original))).toMatch(QUEUED);
        expect(await s.send('QUIT\r\n')).toBe('221 Bye');
      });
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      // Received names no recipient when there are several.
      expect(stored[0]!.toString('latin1')).not.toMatch(/\tfor </);
      await finish();
    });
  });

  it('an early talker (EHLO before the greeting) gets 421 and no greeting; a client that waits is served', async () => {
    const early = RawSession.connect(mx.port);
    // Written before the connection is even up, so it arrives well inside the greeting delay.
    early.write('EHLO client.sender.test\r\n');
    const polite = bystander();
    expect(await early.reply()).toBe(`421 ${HOSTNAME} You talk too soon`);
    await early.closed;
    expect(early.received).toEqual([`421 ${HOSTNAME} You talk too soon`]);
    await (await polite)();
  });

  describe('unknown commands', () => {
    it(`${SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS} in a session: 500 each, the last one 421, and the connection is closed`, async () => {
      const finish = await bystander();
      const s = await greeted(mx.port);
      expect(await s.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
      const replies: string[] = [];
      for (let i = 1; i <= SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS; i++) replies.push(await s.send(`BOGUS${i}\r\n`));
      expect(replies).toEqual([...Array.from({ length: SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS - 1 }, () => UNKNOWN_COMMAND), '421 Error: too many unrecognized commands']);
      await s.closed;
      await finish();
    });

    it(`${SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS - 1} then a transaction: delivered, and a delivered message starts the count again`, async () => {
      const finish = await bystander();
      const original = message('after nine unknown');
      const stored = await storedBy(async () => {
        const s = await greeted(mx.port);
        for (let i = 1; i < SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS; i++) expect(await s.send(`BOGUS${i}\r\n`)).toBe(UNKNOWN_COMMAND);
        expect(await s.send('EHLO client.sender.test\r\n')).toMatch(/^250-/);
        expect(await s.send('MAIL FROM:<bob@sender.test>\r\n')).toBe('250 Accepted');
        expect(await s.send('RCPT TO:<alice@example.test>\r\n')).toBe('250 Accepted');
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        expect(await s.send(wire(original))).toMatch(QUEUED);
        // smtp-server resets its counter after each message, not after RSET or other commands.
        for (let i = 1; i < SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS; i++) expect(await s.send(`BOGUS${i}\r\n`)).toBe(UNKNOWN_COMMAND);
        expect(await s.send('RSET\r\n')).toBe('250 Flushed');
        expect(await s.send('BOGUS\r\n')).toBe('421 Error: too many unrecognized commands');
        await s.closed;
      });
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      await finish();
    });
  });

  describe('bare <CR> (the bare <LF> variants are in mx-server.test.ts)', () => {
    // Nobody ends DATA at a bare <CR>, so these stay content: one message, byte-exact, and the
    // "smuggled" transaction inside it never runs.
    const smuggled = 'MAIL FROM:<evil@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nforged\r\n';
    it.each([
      ['<CR>.<CR><LF> followed by a transaction', message('cr dot crlf', `body\r.\r\n${smuggled}`)],
      ['bare <CR> inside lines, before <CR><LF> and at the end', message('bare cr', 'one\rtwo\r\n\r\r\nthree\r\r\n.\r\r\n\rlast\r\r\n')],
    ])('%s: accepted as content, byte-exact, nothing smuggled', async (_name, original) => {
      const finish = await bystander();
      const stored = await storedBy(async () => {
        const s = await transaction(mx.port);
        expect(await s.send('DATA\r\n')).toBe(START_DATA);
        expect(await s.send(wire(original))).toMatch(QUEUED);
        // Exactly one reply came for the whole DATA: the next one answers NOOP.
        expect(await s.send('NOOP\r\n')).toBe('250 OK');
        expect(await s.send('QUIT\r\n')).toBe('221 Bye');
        expect(s.received.filter((r) => r.startsWith('250 2.0.0'))).toHaveLength(1);
      });
      expect(stored).toHaveLength(1);
      expectStored(stored[0], original);
      await finish();
    });
  });
});

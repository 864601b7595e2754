// The outbound worker over a real PostgreSQL schema and real sockets: an smtp-server on
// 127.0.0.1 plays the remote MX, an injected resolver points the test domains at it (and
// serves the DKIM record from DkimKeys). Covers exactly-once delivery, DKIM, two workers on
// two connections, 550 → DSN in the sender's INBOX, 451 → backoff, giving up, null senders,
// per-domain concurrency and a queue that is briefly unavailable.
import { createHash } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identityFromPrivateKey, type Identity } from '../../core/index.js';
import { AccountService } from '../../services/account-service.js';
import { DkimKeys } from '../../services/dkim-keys.js';
import { MailboxService } from '../../services/mailbox-service.js';
import { MessageService } from '../../services/message-service.js';
import { OutboundQueue, retryDelayMs, type OutboundRecipient } from '../../services/outbound-queue.js';
import { systemRng } from '../../services/random.js';
import { deliverSystemMail } from '../../services/system-mail.js';
import { openPostgres, type Db } from '../../storage/db.js';
import { StorageError } from '../../storage/errors.js';
import { openTestDb, type TestDb } from '../../test/helpers/databases.js';
import { TEST_POSTGRES_URL } from '../../test/helpers/services.js';
import { RemoteMx } from '../../test/helpers/remote-mx.js';
import { createLogger } from '../log.js';
import type { DNSResolver } from './authentication.js';
import { generateDkimKey } from './dkim.js';
import { startOutboundWorker, type OutboundWorker, type OutboundWorkerOptions } from './outbound-worker.js';

const kdf = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'password123';
const SECRET = systemRng(32);
const SELECTOR = 'lnmp1';
const HOSTNAME = 'gw.example.test';
const GIVE_UP_HOURS = 120;
const PER_DOMAIN = 2;
const T0 = Date.UTC(2025, 2, 4, 5, 6, 7);
const HOUR = 3_600_000;


let t: TestDb;
let accounts: AccountService;
let mailboxes: MailboxService;
let messages: MessageService;
let dkimKeys: DkimKeys;
let gateway: Identity;
let queue: OutboundQueue;
let alice: { userId: number; address: string };
let clock: number;
const remote = new RemoteMx();
const workers: OutboundWorker[] = [];
const logLines: string[] = [];
const logger = createLogger({ level: 'debug', write: (line) => void logLines.push(line) });

/** remote.test has its MX on 127.0.0.1; the DKIM record comes from DkimKeys. */
const resolver: DNSResolver = async (name, rrtype) => {
  const n = name.toLowerCase();
  // mailauth's DNSResolver type knows only TXT-like answers; MX answers are objects.
  if (rrtype === 'MX' && n === 'remote.test') return [{ exchange: 'mx.remote.test', priority: 10 }] as unknown as string[];
  if (rrtype === 'A' && n === 'mx.remote.test') return ['127.0.0.1'];
  if (rrtype === 'TXT') {
    const record = (await dkimKeys.publicRecords()).find((r) => `${r.selector}._domainkey.${r.domain}` === n);
    if (record) return [[record.publicTxt]];
  }
  throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: rrtype === 'AAAA' && n === 'mx.remote.test' ? 'ENODATA' : 'ENOTFOUND' });
};

function startWorker(overrides: Partial<OutboundWorkerOptions> = {}): OutboundWorker {
  const worker = startOutboundWorker({
    queue,
    dkimKeys,
    isHostedDomain: (domain) => accounts.isHostedDomain(domain),
    deliverSystemMail: (userId, raw) => deliverSystemMail({ messages, gateway, rng: systemRng, now: () => clock }, userId, raw),
    config: { hostname: HOSTNAME, outbound: { port: remote.port, giveUpHours: GIVE_UP_HOURS, perDomainConcurrency: PER_DOMAIN }, dkim: { selector: SELECTOR } },
    resolver,
    logger,
    now: () => clock,
    // Long: every test wakes its worker by starting it or by kick().
    pollMs: 60_000,
    ...overrides,
  });
  workers.push(worker);
  return worker;
}

const mail = (subject: string, opts: { from?: string; to?: string } = {}) =>
  Buffer.from(
    `From: Alice <${opts.from ?? 'alice@example.test'}>\r\nTo: <${opts.to ?? 'bob@remote.test'}>\r\nSubject: ${subject}\r\n` +
      `Message-ID: <${createHash('sha256').update(subject).digest('hex').slice(0, 16)}@example.test>\r\nDate: Tue, 04 Mar 2025 05:06:07 +0000\r\n\r\n` +
      `.leading dot\r\nBody of ${subject}.\r\n`,
  );

const smtp = (...addresses: string[]): OutboundRecipient[] => addresses.map((address) => ({ transport: 'smtp', address }));

function enqueue(raw: Buffer, recipients: OutboundRecipient[], envelopeFrom = 'alice@example.test', target = queue): Promise<number> {
  return t.db.transaction((tx) => target.enqueue(tx, { userId: alice.userId, envelopeFrom, raw, recipients }));
}

async function rows(messageId: number) {
  return t.db.query<{ recipient: string; state: string; attempts: number; next_ms: number; last_reply: string | null }>(
    `SELECT recipient, state, attempts, (extract(epoch FROM next_attempt) * 1000)::int8 AS next_ms, last_reply FROM outbound WHERE message_id = $1 ORDER BY id`,
    [messageId],
  );
}

async function inbox(): Promise<string[]> {
  const s = await accounts.authenticate(alice.address, PASSWORD);
  try {
    const box = await mailboxes.byRole(s, 'inbox');
    const list = await messages.list(s, box.id);
    // Unfolded, so assertions need not know where long header lines were folded.
    return (await messages.fetch(s, box.id, list.map((m) => m.uid))).map((m) => Buffer.from(m.raw).toString('latin1').replace(/\r\n(?=[ \t])/g, ''));
  } finally {
    s.lock();
  }
}

const messageIdOf = (data: Buffer) => /^Message-ID: (<[^>]+>)/im.exec(data.toString('latin1'))?.[1];

beforeAll(async () => {
  t = await openTestDb('postgres');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  mailboxes = new MailboxService(t.db, { rng: systemRng });
  messages = new MessageService(t.db, { rng: systemRng });
  dkimKeys = new DkimKeys(t.db, { gatewaySecret: SECRET, rng: systemRng, generate: generateDkimKey });
  gateway = identityFromPrivateKey(systemRng(32));
  queue = new OutboundQueue(t.db, { gatewaySecret: SECRET, rng: systemRng, now: () => clock });
  await accounts.addDomain('example.test');
  const created = await accounts.createUser({ address: 'alice@example.test', password: PASSWORD });
  alice = { userId: created.userId, address: created.address };
  await remote.listen();
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await remote.close();
  await t.dispose();
});

beforeEach(async () => {
  clock = T0;
  remote.reset();
  await t.db.exec('DELETE FROM outbound; DELETE FROM outbound_messages');
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
  // Nothing secret reaches the log: no key, no message text.
  const log = logLines.splice(0).join('');
  expect(log).not.toContain('PRIVATE KEY');
  expect(log).not.toContain('Body of');
});

describe('startOutboundWorker', () => {
  it('delivers a queued message once, DKIM-signed for a hosted sender domain and otherwise byte-exact', async () => {
    const signedRaw = mail('signed');
    const plainRaw = mail('not ours', { from: 'carol@elsewhere.test' });
    const signedId = await enqueue(signedRaw, smtp('bob@remote.test'));
    const plainId = await enqueue(plainRaw, smtp('dave@remote.test'), 'carol@elsewhere.test');
    const worker = startWorker();
    await remote.until('two messages', () => remote.received.length >= 2);
    await worker.close();

    expect(remote.received).toHaveLength(2);
    const signed = remote.received.find((r) => r.to[0] === 'bob@remote.test')!;
    expect(signed.from).toBe('alice@example.test');
    const body = signed.data.subarray(signed.data.length - signedRaw.length);
    expect(body.equals(signedRaw)).toBe(true);
    const added = signed.data.subarray(0, signed.data.length - signedRaw.length).toString('latin1');
    expect(added).toMatch(/^DKIM-Signature: [^\r\n]*(?:\r\n[ \t][^\r\n]*)*\r\n$/);
    expect(added).toContain(' t=1741064767;');
    const verified = await dkimVerify(signed.data, { resolver, curTime: new Date(T0) });
    expect(verified.results).toHaveLength(1);
    expect(verified.results[0]).toMatchObject({ signingDomain: 'example.test', selector: SELECTOR, status: { result: 'pass' } });

    const plain = remote.received.find((r) => r.to[0] === 'dave@remote.test')!;
    expect(plain.data.equals(plainRaw)).toBe(true);

    expect(await rows(signedId)).toEqual([{ recipient: 'bob@remote.test', state: 'sent', attempts: 1, next_ms: expect.any(Number), last_reply: expect.stringMatching(/^250 /) }]);
    expect((await rows(plainId)).map((r) => r.state)).toEqual(['sent']);
    // Finished: the body is gone, and a new worker finds nothing to send.
    expect(await t.db.query('SELECT sum(length(data))::int8 AS n FROM outbound_messages')).toEqual([{ n: 0 }]);
  });

  it('lets two workers on two connections deliver each of 40 messages exactly once, at most perDomainConcurrency each per domain', async () => {
    const other: Db = await openPostgres(TEST_POSTGRES_URL, { schema: t.schema! });
    try {
      const expected = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const raw = mail(`bulk ${i}`);
        expected.add(messageIdOf(raw)!);
        await enqueue(raw, smtp(`user${i}@remote.test`));
      }
      const otherQueue = new OutboundQueue(other, { gatewaySecret: SECRET, rng: systemRng, now: () => clock });
      const otherKeys = new DkimKeys(other, { gatewaySecret: SECRET, rng: systemRng, generate: generateDkimKey });
      const a = startWorker({ logger: logger.child({ worker: 'a' }) });
      const b = startWorker({ logger: logger.child({ worker: 'b' }), queue: otherQueue, dkimKeys: otherKeys, isHostedDomain: async (d) => d === 'example.test' });
      await remote.until('40 messages', () => remote.received.length >= 40);
      await Promise.all([a.close(), b.close()]);

      const seen = remote.received.map((r) => messageIdOf(r.data));
      expect(seen).toHaveLength(40);
      expect(new Set(seen)).toEqual(expected);
      const states = await t.db.query<{ state: string; n: number }>('SELECT state, count(*)::int8 AS n FROM outbound GROUP BY state');
      expect(states).toContainEqual({ state: 'sent', n: expect.any(Number) });
      expect(states.find((s) => s.state === 'queued')).toBeUndefined();
      expect(remote.maxConnections).toBeLessThanOrEqual(2 * PER_DOMAIN);
      // Both took part (each claim is at most OUTBOUND_CLAIM_BATCH = 20 rows).
      const attempts = logLines.filter((l) => l.includes('"msg":"outbound attempt"'));
      expect(attempts.filter((l) => l.includes('"worker":"a"')).length).toBeGreaterThan(0);
      expect(attempts.filter((l) => l.includes('"worker":"b"')).length).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('fails a 550 recipient and puts a DSN with the remote reply into the sender INBOX', async () => {
    const before = (await inbox()).length;
    const raw = mail('partly refused');
    const id = await enqueue(raw, smtp('bob@remote.test', 'unknown@remote.test'));
    const worker = startWorker();
    await remote.until('the message for bob', () => remote.received.length >= 1);
    await worker.close();

    expect(remote.received[0]!.to).toEqual(['bob@remote.test']);
    expect(await rows(id)).toEqual([
      expect.objectContaining({ recipient: 'bob@remote.test', state: 'sent' }),
      expect.objectContaining({ recipient: 'unknown@remote.test', state: 'failed', last_reply: '550 5.1.1 no such user' }),
    ]);
    const box = await inbox();
    expect(box).toHaveLength(before + 1);
    const dsn = box.at(-1)!;
    expect(dsn).toMatch(/^From: "Mail Delivery System" <MAILER-DAEMON@gw\.example\.test>\r\n/);
    expect(dsn).toContain('To: <alice@example.test>\r\n');
    expect(dsn).toContain('Subject: Undelivered Mail Returned to Sender\r\n');
    expect(dsn).toContain('Date: Tue, 04 Mar 2025 05:06:07 +0000\r\n');
    expect(dsn).toMatch(/Content-Type: multipart\/report; report-type=delivery-status; boundary="[^"]+"\r\n/);
    expect(dsn).toContain('Reporting-MTA: dns; gw.example.test\r\n');
    expect(dsn).toContain(
      'Final-Recipient: rfc822; unknown@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.remote.test\r\n' +
        'Diagnostic-Code: smtp; 550 5.1.1 no such user\r\nLast-Attempt-Date: Tue, 04 Mar 2025 05:06:07 +0000\r\n',
    );
    // Only the failed recipient is reported; the original headers come back, its body does not.
    expect(dsn).not.toContain('Final-Recipient: rfc822; bob@remote.test');
    expect(dsn).toContain('Content-Type: text/rfc822-headers');
    expect(dsn).toContain('Subject: partly refused\r\n');
    expect(dsn).not.toContain('Body of partly refused');
  });

  it('retries a 451 recipient after retryDelayMs, without a DSN', async () => {
    const before = (await inbox()).length;
    const id = await enqueue(mail('busy'), smtp('busy@remote.test'));
    clock = T0 + 1_000;
    const worker = startWorker();
    await remote.until('RCPT TO busy@', () => remote.rcpts.includes('busy@remote.test'));
    await worker.close();

    expect(await rows(id)).toEqual([
      { recipient: 'busy@remote.test', state: 'queued', attempts: 1, next_ms: clock + retryDelayMs(1), last_reply: '451 4.2.1 mailbox busy, try later' },
    ]);
    expect((await inbox()).length).toBe(before);
    await queue.message(id); // the body stays for the next attempt
  });

  it('gives up on a temporary failure older than giveUpHours: failed, and a DSN saying so', async () => {
    const before = (await inbox()).length;
    clock = T0 - GIVE_UP_HOURS * HOUR - 1;
    const id = await enqueue(mail('too long'), smtp('busy@remote.test'));
    clock = T0;
    const worker = startWorker();
    await remote.until('RCPT TO busy@', () => remote.rcpts.includes('busy@remote.test'));
    await worker.close();

    expect(await rows(id)).toEqual([expect.objectContaining({ state: 'failed', last_reply: '451 4.2.1 mailbox busy, try later' })]);
    const box = await inbox();
    expect(box).toHaveLength(before + 1);
    expect(box.at(-1)).toContain(
      'Final-Recipient: rfc822; busy@remote.test\r\nAction: failed\r\nStatus: 5.4.7\r\nRemote-MTA: dns; mx.remote.test\r\nDiagnostic-Code: smtp; 451 4.2.1 mailbox busy, try later\r\n',
    );
    expect(box.at(-1)).toContain('Arrival-Date: Thu, 27 Feb 2025 05:06:06 +0000\r\n');
  });

  it('sends no DSN for a null-sender message that fails', async () => {
    const before = (await inbox()).length;
    const id = await enqueue(mail('a notification'), smtp('unknown@remote.test'), '');
    const worker = startWorker();
    await remote.until('RCPT TO unknown@', () => remote.rcpts.includes('unknown@remote.test'));
    await worker.close();

    expect(await rows(id)).toEqual([expect.objectContaining({ state: 'failed', last_reply: '550 5.1.1 no such user' })]);
    expect((await inbox()).length).toBe(before);
    expect(logLines.join('')).toContain('"reason":"null sender"');
  });

  it('reports a domain without mail exchangers in the DSN as its own diagnostic', async () => {
    const before = (await inbox()).length;
    const id = await enqueue(mail('nowhere'), smtp('x@nowhere.test'));
    const worker = startWorker();
    // Nothing reaches the remote MX: wait for the DSN by kicking a second message through.
    await enqueue(mail('marker'), smtp('marker@remote.test'));
    worker.kick();
    await remote.until('the marker', () => remote.received.length >= 1);
    await worker.close();

    expect(await rows(id)).toEqual([expect.objectContaining({ state: 'failed', last_reply: '550 5.1.2 domain nowhere.test does not exist' })]);
    const box = await inbox();
    expect(box).toHaveLength(before + 1);
    expect(box.at(-1)).toContain('Status: 5.1.2\r\nDiagnostic-Code: x-lnmp-gateway; 550 5.1.2 domain nowhere.test does not exist\r\n');
    expect(box.at(-1)).not.toContain('Remote-MTA');
  });

  it('wakes at kick() and survives a queue that is briefly unavailable', async () => {
    let failures = 2;
    const flaky: OutboundWorkerOptions['queue'] = {
      claim: (limit) => (failures-- > 0 ? Promise.reject(new StorageError('storage_unavailable', 'the database cannot be reached')) : queue.claim(limit)),
      message: (id) => queue.message(id),
      sent: (ids, reply) => queue.sent(ids, reply),
      failed: (ids, reply) => queue.failed(ids, reply),
      retry: (items, reply) => queue.retry(items, reply),
    };
    const worker = startWorker({ queue: flaky, errorDelayMs: 10 });
    const id = await enqueue(mail('after outage'), smtp('bob@remote.test'));
    worker.kick();
    await remote.until('the message', () => remote.received.length >= 1);
    await worker.close();
    expect((await rows(id)).map((r) => r.state)).toEqual(['sent']);
    const warnings = logLines.filter((l) => l.includes('"msg":"outbound queue unavailable"'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('"code":"storage_unavailable"');
  });

  it('closes at once when idle', async () => {
    const worker = startWorker();
    const started = performance.now();
    await worker.close();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

// The outbound queue on both backends: enqueue commits with its transaction, claims are
// leased and never shared between workers (two connections on PostgreSQL), retries back off
// by retryDelayMs, finished messages lose their body, and the body is stored only sealed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../storage/db.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { TEST_POSTGRES_URL } from '../test/helpers/services.js';
import { OUTBOUND_RETRY, OutboundQueue, retryDelayMs, type OutboundRecipient } from './outbound-queue.js';
import { systemRng } from './random.js';

const SECRET = systemRng(32);
const T0 = Date.UTC(2025, 2, 4, 5, 6, 7);
const MINUTE = 60_000;

const smtp = (...addresses: string[]): OutboundRecipient[] => addresses.map((address) => ({ transport: 'smtp', address }));
const raw = (marker: string) => Buffer.from(`From: a@example.test\r\nTo: b@remote.test\r\nSubject: ${marker}\r\n\r\nBody ${marker}.\r\n`);

describe('retryDelayMs', () => {
  it('doubles from the first delay up to the maximum', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([5, 10, 20, 40].map((m) => m * MINUTE));
    expect(retryDelayMs(0)).toBe(OUTBOUND_RETRY.firstDelayMs);
    expect(retryDelayMs(8)).toBe(OUTBOUND_RETRY.maxDelayMs);
    expect(retryDelayMs(50)).toBe(OUTBOUND_RETRY.maxDelayMs);
  });
});

describe.each(BACKENDS)('OutboundQueue (%s)', (backend) => {
  let t: TestDb;
  let clock: number;
  let queue: OutboundQueue;

  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.db.exec('DELETE FROM outbound; DELETE FROM outbound_messages');
    clock = T0;
    queue = new OutboundQueue(t.db, { gatewaySecret: SECRET, rng: systemRng, now: () => clock });
  });

  const enqueue = (recipients: OutboundRecipient[], body = raw('x'), envelopeFrom = 'a@example.test') =>
    t.db.transaction((tx) => queue.enqueue(tx, { userId: null, envelopeFrom, raw: body, recipients }));

  async function row(id: number) {
    const [r] = await t.db.query<{ state: string; attempts: number; next_ms: number; last_reply: string | null; finished_ms: number | null }>(
      `SELECT state, attempts, (extract(epoch FROM next_attempt) * 1000)::int8 AS next_ms, last_reply,
              (extract(epoch FROM finished_at) * 1000)::int8 AS finished_ms FROM outbound WHERE id = $1`,
      [id],
    );
    return r!;
  }

  const bodySize = async (messageId: number) =>
    (await t.db.query<{ n: number }>('SELECT length(data)::int8 AS n FROM outbound_messages WHERE id = $1', [messageId]))[0]!.n;

  it('queues nothing when the enqueueing transaction rolls back', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await queue.enqueue(tx, { userId: null, envelopeFrom: 'a@example.test', raw: raw('rolled back'), recipients: smtp('b@remote.test') });
        throw new Error('the submission failed after queueing');
      }),
    ).rejects.toThrow('the submission failed after queueing');
    expect(await t.db.query('SELECT id FROM outbound_messages')).toEqual([]);
    expect(await t.db.query('SELECT id FROM outbound')).toEqual([]);
    expect(await queue.claim(10)).toEqual([]);
  });

  it('refuses a message without recipients', async () => {
    await expect(enqueue([])).rejects.toMatchObject({ name: 'ServiceError', code: 'invalid_address', message: 'a queued message needs at least one recipient' });
  });

  it('gives back the message byte-exact and stores it only sealed', async () => {
    const marker = 'Zq7-outbound-marker';
    const body = Buffer.concat([raw(marker), Buffer.from([0, 0x0d, 0x0a, 0x0d, 0xff, 0x80, 0x0a]), Buffer.from('Grüße\r\n')]);
    const id = await enqueue(smtp('b@remote.test'), body, 'sender@example.test');
    const message = await queue.message(id);
    expect(message).toMatchObject({ id, userId: null, envelopeFrom: 'sender@example.test' });
    expect(Buffer.from(message.raw).equals(body)).toBe(true);
    const dump = await t.db.query<{ row: string }>("SELECT m::text || encode(data, 'escape') AS row FROM outbound_messages m");
    expect(dump).toHaveLength(1);
    expect(dump[0]!.row).not.toContain(marker);
    expect(dump[0]!.row).not.toContain(Buffer.from(marker).toString('hex'));
    await expect(queue.message(id + 1000)).rejects.toMatchObject({ code: 'message_not_found' });
  });

  it('refuses a body moved to another message (integrity)', async () => {
    const a = await enqueue(smtp('b@remote.test'), raw('first'));
    const b = await enqueue(smtp('b@remote.test'), raw('second'));
    await t.db.query('UPDATE outbound_messages SET data = (SELECT data FROM outbound_messages WHERE id = $1) WHERE id = $2', [a, b]);
    await expect(queue.message(b)).rejects.toMatchObject({ code: 'integrity' });
  });

  it('claims due SMTP rows once per lease, with the domain in lower case', async () => {
    const id = await enqueue([...smtp('b@Remote.TEST', 'c@other.test'), { transport: 'lnmp', address: 'relay@lnmp.test' }]);
    const claimed = await queue.claim(10);
    expect(claimed).toEqual([
      { id: expect.any(Number), messageId: id, recipient: 'b@Remote.TEST', domain: 'remote.test', attempts: 1, queuedAt: new Date(T0) },
      { id: expect.any(Number), messageId: id, recipient: 'c@other.test', domain: 'other.test', attempts: 1, queuedAt: new Date(T0) },
    ]);
    expect((await row(claimed[0]!.id)).next_ms).toBe(T0 + OUTBOUND_RETRY.leaseMs);
    // Leased: nobody gets it again until the lease runs out (a worker that died).
    clock = T0 + OUTBOUND_RETRY.leaseMs - 1;
    expect(await queue.claim(10)).toEqual([]);
    clock = T0 + OUTBOUND_RETRY.leaseMs;
    expect((await queue.claim(10)).map((c) => [c.id, c.attempts])).toEqual(claimed.map((c) => [c.id, 2]));
    expect(await queue.depth()).toEqual({ queued: 3, oldestQueuedAt: new Date(T0) });
  });

  it('claims at most the limit, oldest due first', async () => {
    for (let i = 0; i < 5; i++) {
      clock = T0 + i;
      await enqueue(smtp(`r${i}@remote.test`));
    }
    clock = T0 + MINUTE;
    expect((await queue.claim(3)).map((c) => c.recipient)).toEqual(['r0@remote.test', 'r1@remote.test', 'r2@remote.test']);
    expect((await queue.claim(3)).map((c) => c.recipient)).toEqual(['r3@remote.test', 'r4@remote.test']);
  });

  it('backs a retry off by retryDelayMs of the attempts made', async () => {
    await enqueue(smtp('b@remote.test'));
    const [first] = await queue.claim(1);
    clock = T0 + 1_000;
    await queue.retry([first!], '451 4.2.1 mailbox busy');
    expect(await row(first!.id)).toMatchObject({ state: 'queued', attempts: 1, next_ms: clock + retryDelayMs(1), last_reply: '451 4.2.1 mailbox busy', finished_ms: null });

    clock = T0 + 1_000 + retryDelayMs(1) - 1;
    expect(await queue.claim(1)).toEqual([]);
    clock += 1;
    const [second] = await queue.claim(1);
    expect(second).toMatchObject({ id: first!.id, attempts: 2 });
    await queue.retry([second!], '421 4.4.2 closing');
    expect(await row(first!.id)).toMatchObject({ attempts: 2, next_ms: clock + retryDelayMs(2), last_reply: '421 4.4.2 closing' });
  });

  it('finishes rows as sent or failed and drops the body with the last queued row', async () => {
    const id = await enqueue(smtp('b@remote.test', 'c@remote.test', 'd@remote.test'), raw('finish'));
    const [b, c, d] = await queue.claim(10);
    clock = T0 + 2_000;
    await queue.sent([b!.id], '250 2.0.0 queued as 1');
    expect(await row(b!.id)).toMatchObject({ state: 'sent', last_reply: '250 2.0.0 queued as 1', finished_ms: clock });
    await queue.retry([c!], '451 4.2.1 mailbox busy');
    expect(await bodySize(id)).toBeGreaterThan(0);
    await queue.failed([d!.id], '550 5.1.1 no such user');
    expect(await row(d!.id)).toMatchObject({ state: 'failed', last_reply: '550 5.1.1 no such user', finished_ms: clock });
    // c is still queued: the body stays for its next attempt.
    expect(Buffer.from((await queue.message(id)).raw).equals(raw('finish'))).toBe(true);

    // Finishing a finished row changes nothing.
    await queue.failed([b!.id], '554 late');
    expect(await row(b!.id)).toMatchObject({ state: 'sent', last_reply: '250 2.0.0 queued as 1' });

    await queue.sent([c!.id], '250 ok');
    expect(await bodySize(id)).toBe(0);
    expect(await queue.depth()).toEqual({ queued: 0, oldestQueuedAt: undefined });
    // The rows stay as the message's history.
    expect((await t.db.query<{ state: string }>('SELECT state FROM outbound WHERE message_id = $1 ORDER BY id', [id])).map((r) => r.state)).toEqual([
      'sent',
      'sent',
      'failed',
    ]);
  });

  it('does not retry a finished row', async () => {
    await enqueue(smtp('b@remote.test'));
    const [claimed] = await queue.claim(1);
    await queue.sent([claimed!.id], '250 ok');
    await queue.retry([claimed!], '451 again');
    expect(await row(claimed!.id)).toMatchObject({ state: 'sent', last_reply: '250 ok' });
  });

  it.runIf(backend === 'postgres')('never gives one row to two workers on separate connections', async () => {
    const other: Db = await openPostgres(TEST_POSTGRES_URL, { schema: t.schema! });
    try {
      const second = new OutboundQueue(other, { gatewaySecret: SECRET, rng: systemRng, now: () => clock });
      const due = new Set<number>();
      for (let i = 0; i < 15; i++) {
        await enqueue(smtp(`a${i}@remote.test`, `b${i}@remote.test`, `c${i}@other.test`, `d${i}@other.test`));
      }
      for (const r of await t.db.query<{ id: number }>('SELECT id FROM outbound')) due.add(r.id);
      // Not due yet, and not SMTP: never claimed.
      clock = T0 + 2 * OUTBOUND_RETRY.leaseMs;
      await enqueue(smtp('later@remote.test'));
      await enqueue([{ transport: 'lnmp', address: 'relay@lnmp.test' }]);
      clock = T0;

      // One claim each, at once: disjoint, and together every due row.
      const [a, b] = await Promise.all([queue.claim(40), second.claim(40)]);
      const ids = [...a, ...b].map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(due);

      // Many small claims racing: the same again after the lease.
      clock = T0 + OUTBOUND_RETRY.leaseMs;
      const drain = async (q: OutboundQueue) => {
        const got: number[] = [];
        for (;;) {
          const batch = await q.claim(3);
          if (batch.length === 0) return got;
          got.push(...batch.map((c) => c.id));
        }
      };
      const [x, y] = await Promise.all([drain(queue), drain(second)]);
      expect(x.length).toBeGreaterThan(0);
      expect(y.length).toBeGreaterThan(0);
      expect(new Set([...x, ...y]).size).toBe(x.length + y.length);
      expect(new Set([...x, ...y])).toEqual(due);
    } finally {
      await other.close();
    }
  });
});

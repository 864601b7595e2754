// Two relay servers on one PostgreSQL schema (two connection pools, as two processes would
// have), fanning out through a real Redis and through PostgreSQL LISTEN/NOTIFY: a live
// subscriber on either relay gets each envelope exactly once, a malformed notice is ignored
// with a log line, and a closed relay leaves no listener behind.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisFanout, redisFanoutChannel } from '../relay/fanout-redis.js';
import { openPostgresFanout, PG_FANOUT_APPLICATION, postgresFanoutChannel } from '../relay/fanout-postgres.js';
import { MAX_NOTICE_CHARS, RelayFanout, type FanoutTransport } from '../relay/fanout.js';
import { RelayStore } from '../relay/store.js';
import { SubscriptionRegistry } from '../relay/subscriptions.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { openPostgres, type Db } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import { asStored, envelope, identity, memoryLogger, startTestRelay, TestClient, type LogLine } from './helpers/relay-client.js';
import { TEST_REDIS_URL } from './helpers/services.js';

type TestRelay = Awaited<ReturnType<typeof startTestRelay>>;

interface Transport {
  readonly name: 'redis' | 'postgres';
  open(namespace: string, schema: TestSchema, db: Db): Promise<FanoutTransport>;
  /** Sends a raw payload on the deployment's channel, as a foreign or broken process would. */
  inject(namespace: string, payload: string, db: Db): Promise<void>;
  /** Processes listening on the deployment's channel. */
  listeners(namespace: string, db: Db): Promise<number>;
}

let redis: Redis;

const TRANSPORTS: Transport[] = [
  {
    name: 'redis',
    open: (namespace) => openRedisFanout({ url: TEST_REDIS_URL, namespace, logger: memoryLogger() }),
    inject: async (namespace, payload) => void (await redis.publish(redisFanoutChannel(namespace), payload)),
    listeners: async (namespace) => {
      const reply = (await redis.pubsub('NUMSUB', redisFanoutChannel(namespace))) as [string, number];
      return Number(reply[1]);
    },
  },
  {
    name: 'postgres',
    open: (namespace, schema, db) => openPostgresFanout({ url: schema.url, db, namespace, logger: memoryLogger() }),
    inject: async (namespace, payload, db) => void (await db.query('SELECT pg_notify($1, $2)', [postgresFanoutChannel(namespace), payload])),
    listeners: async (namespace, db) => {
      const rows = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM pg_stat_activity WHERE application_name = $1 AND query = $2', [
        PG_FANOUT_APPLICATION,
        `LISTEN "${postgresFanoutChannel(namespace)}"`,
      ]);
      return rows[0]!.n;
    },
  },
];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
});

/** The log lines with this message from index `from` on, once there are `count` of them. */
async function waitForLog(lines: LogLine[], from: number, msg: string, count: number): Promise<LogLine[]> {
  for (let i = 0; i < 200; i++) {
    const found = lines.slice(from).filter((l) => l.msg === msg);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${count} log lines "${msg}"`);
}

describe.each(TRANSPORTS)('relay fan-out over $name', (transport) => {
  const alice = identity(`fanout-alice-${transport.name}`);
  const bob = identity(`fanout-bob-${transport.name}`);
  const namespace = `t_${randomBytes(6).toString('hex')}`;
  let schema: TestSchema;
  let db1: Db;
  let db2: Db;
  let relay1: TestRelay;
  let relay2: TestRelay;
  const clients: TestClient[] = [];

  async function subscriber(relay: TestRelay): Promise<TestClient> {
    const c = await TestClient.connect(relay.url);
    clients.push(c);
    await c.auth(bob);
    expect(await c.request({ type: 'SUB', sub: 'inbox', filter: { to: [bob.publicKey] } })).toEqual({ type: 'OK', command: 'SUB', ref: 'inbox' });
    return c;
  }

  async function publisher(relay: TestRelay): Promise<TestClient> {
    const c = await TestClient.connect(relay.url);
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    schema = await createTestSchema();
    // Each relay has its own pool on the schema, as two processes would.
    db1 = await openPostgres(schema.url, { poolSize: 4 });
    await migrate(db1);
    db2 = await openPostgres(schema.url, { poolSize: 4 });
    relay1 = await startTestRelay(db1, { fanout: await transport.open(namespace, schema, db1) });
    relay2 = await startTestRelay(db2, { fanout: await transport.open(namespace, schema, db2) });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await relay1?.close();
    await relay2?.close();
    await db1?.close();
    await db2?.close();
    await schema?.dispose();
  });

  it('delivers a PUBLISH on relay 2 to a SUB on relay 1 exactly once, and to a SUB on relay 2 once', async () => {
    const remote = await subscriber(relay1);
    const local = await subscriber(relay2);
    const p = await publisher(relay2);
    const first = envelope(alice, [bob]);
    const second = envelope(alice, [bob]);
    expect(await p.publish(first)).toEqual({ type: 'OK', command: 'PUBLISH', ref: first.id });
    expect(await remote.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(first) });
    expect(await p.publish(second)).toEqual({ type: 'OK', command: 'PUBLISH', ref: second.id });
    // The next frame is the second envelope: the first did not come again.
    expect(await remote.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(second) });
    // The publishing relay delivered both itself and skipped its own notices.
    expect(await local.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(first) });
    expect(await local.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(second) });
    // A duplicate PUBLISH on the other relay is refused and announced nowhere.
    const again = await publisher(relay1);
    expect(await again.publish(first)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: first.id, reason: 'duplicate: already stored' });
    const third = envelope(alice, [bob]);
    expect(await again.publish(third)).toEqual({ type: 'OK', command: 'PUBLISH', ref: third.id });
    expect(await remote.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(third) });
    expect(await local.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(third) });
    await remote.close();
    await local.close();
  });

  it('ignores a malformed fan-out message with a log line and keeps delivering', async () => {
    const remote = await subscriber(relay1);
    const lines = relay1.logger.lines;
    const before = lines.length;
    await transport.inject(namespace, 'not json', db1);
    const notice = { v: 1, origin: 'ab'.repeat(8), id: 'nope', from: alice.publicKey, to: [bob.publicKey], kind: 1, timestamp: 1 };
    await transport.inject(namespace, JSON.stringify(notice), db1);
    const ignored = await waitForLog(lines, before, 'relay fan-out message ignored', 2);
    expect(ignored).toEqual([
      { level: 'warn', msg: 'relay fan-out message ignored', fields: { transport: transport.name, reason: 'not JSON' } },
      {
        level: 'warn',
        msg: 'relay fan-out message ignored',
        fields: { transport: transport.name, reason: 'id: expected 32 bytes of lowercase hex' },
      },
    ]);
    const p = await publisher(relay2);
    const m = envelope(alice, [bob]);
    expect(await p.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    expect(await remote.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(m) });
    await remote.close();
  });

  it('delivers each notice of a payload of several lines, and logs a bad line among them', async () => {
    const remote = await subscriber(relay1);
    const lines = relay1.logger.lines;
    const before = lines.length;
    // Stored by a process that announced nothing (relay 2's own notices are skipped by relay 2 only).
    const [m1, m2] = [envelope(alice, [bob]), envelope(alice, [bob])];
    for (const m of [m1, m2]) await new RelayStore(db2).insert(m, Date.now());
    const noticeOf = (m: typeof m1) => JSON.stringify({ v: 1, origin: 'cd'.repeat(8), id: m.id, from: m.from, to: m.to, kind: m.kind, timestamp: m.timestamp });
    await transport.inject(namespace, [noticeOf(m1), 'not json', noticeOf(m2)].join('\n'), db1);
    // The envelopes of one payload are read together and delivered in the payload's order.
    expect([await remote.next(), await remote.next()]).toEqual([m1, m2].map((m) => ({ type: 'MSG', sub: 'inbox', message: asStored(m) })));
    expect(await waitForLog(lines, before, 'relay fan-out message ignored', 1)).toEqual([
      { level: 'warn', msg: 'relay fan-out message ignored', fields: { transport: transport.name, reason: 'not JSON' } },
    ]);
    await remote.close();
  });

  it('reads the wanted envelopes of one payload in one statement and skips those no subscription wants', async () => {
    const carol = identity(`fanout-carol-${transport.name}`);
    const [m1, m2, m3] = [envelope(alice, [bob]), envelope(alice, [carol]), envelope(alice, [bob])];
    const gone = envelope(alice, [bob]);
    for (const m of [m1, m2, m3]) await new RelayStore(db2).insert(m, Date.now());
    const reads: unknown[][] = [];
    const counted = Object.assign(Object.create(db1) as Db, {
      query: <R,>(sql: string, params?: readonly unknown[]): Promise<R[]> => {
        if (sql.includes('FROM relay_messages')) reads.push([...(params ?? [])]);
        return db1.query<R>(sql, params);
      },
    });
    const subscriptions = new SubscriptionRegistry();
    const delivered: Array<{ sub: string; id: string }> = [];
    subscriptions.set({ deliver: (sub, json) => delivered.push({ sub, id: (JSON.parse(json) as { id: string }).id }) }, 'inbox', { to: [bob.publicKey] });
    const logger = memoryLogger();
    const receiver = new RelayFanout(await transport.open(namespace, schema, db1), { subscriptions, store: new RelayStore(counted), logger, rng: deterministicRng('fanout-read') });
    try {
      await receiver.start();
      const noticeOf = (m: typeof m1) => JSON.stringify({ v: 1, origin: 'ef'.repeat(8), id: m.id, from: m.from, to: m.to, kind: m.kind, timestamp: m.timestamp });
      await transport.inject(namespace, [m1, m2, gone, m3].map(noticeOf).join('\n'), db1);
      for (let i = 0; i < 200 && delivered.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(delivered).toEqual([{ sub: 'inbox', id: m1.id }, { sub: 'inbox', id: m3.id }]);
      // Carol has no subscription here, so m2 is not read; the id no longer stored is asked for and skipped.
      expect(reads).toEqual([[[m1.id, gone.id, m3.id]]]);
      expect(logger.lines).toEqual([{ level: 'debug', msg: 'relay fan-out: envelope no longer stored', fields: { id: gone.id } }]);
    } finally {
      await receiver.close();
    }
  });

  it('announces the envelopes stored in one turn of the event loop in one payload of at most MAX_NOTICE_CHARS', async () => {
    const heard: string[] = [];
    const listener = await transport.open(namespace, schema, db1);
    await listener.listen((payload) => heard.push(payload));
    const sender = new RelayFanout(await transport.open(namespace, schema, db2), { subscriptions: new SubscriptionRegistry(), store: new RelayStore(db2), logger: memoryLogger(), rng: deterministicRng('fanout-batch') });
    try {
      const three = [envelope(alice, [bob]), envelope(alice, [bob]), envelope(alice, [bob])];
      for (const m of three) sender.announce(m);
      // 40 notices of ~270 characters need more than one payload of 8,000.
      const forty = Array.from({ length: 40 }, () => envelope(alice, [bob]));
      for (let i = 0; i < 200 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      for (const m of forty) sender.announce(m);
      for (let i = 0; i < 200 && heard.join('\n').split('\n').length < 43; i++) await new Promise((r) => setTimeout(r, 25));
      expect(heard[0]!.split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(three.map((m) => m.id));
      const rest = heard.slice(1);
      expect(rest.length).toBeGreaterThan(1);
      for (const payload of rest) expect(payload.length).toBeLessThanOrEqual(MAX_NOTICE_CHARS);
      // NOTIFY goes through a pool, so payloads may arrive in another order than sent.
      expect(rest.flatMap((payload) => payload.split('\n').map((line) => (JSON.parse(line) as { id: string }).id)).sort()).toEqual(forty.map((m) => m.id).sort());
    } finally {
      await sender.close();
      await listener.close();
    }
  });

  it('drops its listener when the relay closes; the other relay carries on', async () => {
    expect(await transport.listeners(namespace, db1)).toBe(2);
    const local = await subscriber(relay2);
    await relay1.close();
    expect(await transport.listeners(namespace, db1)).toBe(1);
    const p = await publisher(relay2);
    const m = envelope(alice, [bob]);
    expect(await p.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    expect(await local.next()).toEqual({ type: 'MSG', sub: 'inbox', message: asStored(m) });
  });
});

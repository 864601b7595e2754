// Federation: a PUBLISH may name `targetRelays`; the relay stores the envelope, then forwards
// it to each of them (itself left out) through its persistent outbox, authenticating with its
// relay key. The forwarded PUBLISH names no targets and a relay that has the id answers
// `duplicate:`, so nothing loops. Two relays, each on its own PostgreSQL schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayClient } from '../relay/client.js';
import { enqueueRelayEnvelope, startOutbox, type RelayOutbox } from '../relay/outbox.js';
import { RelayPool } from '../relay/relay-pool.js';
import { systemRng } from '../services/random.js';
import { openTestDb, type TestDb } from './helpers/databases.js';
import { eventually } from './helpers/postage-gateway.js';
import { envelope, identity, memoryLogger, startTestRelay, TestClient } from './helpers/relay-client.js';

let db1: TestDb;
let db2: TestDb;
let relay1: Awaited<ReturnType<typeof startTestRelay>>;
let relay2: Awaited<ReturnType<typeof startTestRelay>>;
let pool: RelayPool;
let outbox: RelayOutbox;
const clients: TestClient[] = [];
const alice = identity('fed-alice');
const bob = identity('fed-bob');
const relayKey = identity('fed-relay-1');

beforeAll(async () => {
  [db1, db2] = await Promise.all([openTestDb('postgres'), openTestDb('postgres')]);
  pool = new RelayPool({ urls: [], openOnDemand: true, keys: [relayKey.privateKey], logger: memoryLogger(), rng: systemRng });
  outbox = startOutbox({ db: db1.db, pool, logger: memoryLogger() });
  // Real clocks: the forwarding client signs AUTH with the time of day.
  relay1 = await startTestRelay(db1.db, {
    now: Date.now,
    forward: async (message, relays) => {
      await enqueueRelayEnvelope(db1.db, message, relays, Date.now());
      outbox.kick();
    },
  });
  relay2 = await startTestRelay(db2.db, { now: Date.now });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await outbox?.close();
  await pool?.close();
  await Promise.all([relay1?.close(), relay2?.close()]);
  await Promise.all([db1?.dispose(), db2?.dispose()]);
});

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

async function storedAt(db: TestDb, id: string): Promise<boolean> {
  return (await db.db.query('SELECT 1 FROM relay_messages WHERE id = $1', [id])).length > 0;
}

describe('forwarding to targetRelays', () => {
  it('stores, answers OK, and forwards to the other relay once, authenticated with the relay key', async () => {
    const m = envelope(alice, [bob], { body: 'federated' });
    const c = await connect(relay1.url);
    expect(await c.request({ type: 'PUBLISH', message: m, targetRelays: [relay2.url, relay1.url, relay2.url] })).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    await eventually('the envelope at relay 2', () => storedAt(db2, m.id));
    // Bob reads it at relay 2.
    const reader = new RelayClient({ url: relay2.url, keys: [bob.privateKey], rng: systemRng });
    try {
      expect((await reader.query({ to: [bob.publicKey] })).map((e) => e.id)).toEqual([m.id]);
    } finally {
      await reader.close();
    }
    // One target row (relay 2): relay 1 left itself out and the duplicate target counted once.
    expect(await db1.db.query("SELECT relay_url, state FROM relay_outbox_targets")).toEqual([{ relay_url: relay2.url, state: 'sent' }]);
    // The connection relay 1 opened to relay 2 proved the relay key.
    expect(relay2.logger.lines.filter((l) => l.msg === 'authenticated').map((l) => l.fields?.['key'])).toContain(relayKey.publicKey);
    // Published again: duplicate, and nothing new is queued.
    expect(await c.request({ type: 'PUBLISH', message: m, targetRelays: [relay2.url] })).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'duplicate: already stored' });
    expect((await db1.db.query('SELECT 1 FROM relay_outbox_targets')).length).toBe(1);
  });

  it('refuses targetRelays where the relay does not forward, and malformed lists', async () => {
    const m = envelope(alice, [bob], { body: 'no forwarding here' });
    const c2 = await connect(relay2.url);
    expect(await c2.request({ type: 'PUBLISH', message: m, targetRelays: [relay1.url] })).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'invalid: targetRelays: this relay does not forward' });
    expect(await storedAt(db2, m.id)).toBe(false);
    const c1 = await connect(relay1.url);
    const nine = Array.from({ length: 9 }, (_, i) => `wss://r${i}.example.test`);
    const tooMany = await c1.request({ type: 'PUBLISH', message: m, targetRelays: nine });
    expect(tooMany).toEqual({ type: 'ERROR', command: 'PUBLISH', reason: 'invalid: PUBLISH: targetRelays: Too big: expected array to have <=8 items' });
    const notWs = await c1.request({ type: 'PUBLISH', message: m, targetRelays: ['https://relay.example.test'] });
    expect(notWs).toEqual({ type: 'ERROR', command: 'PUBLISH', reason: 'invalid: PUBLISH: targetRelays.0: expected a ws:// or wss:// URL' });
    expect(await storedAt(db1, m.id)).toBe(false);
  });
});

// The relay server over real WebSocket connections and a real PostgreSQL schema: AUTH,
// PUBLISH, QUERY, SUB/UNSUB and bad input, each asserting the exact frames a client sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAuth } from '../relay/auth.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { verifyMessage } from '../core/envelope.js';
import { computeId } from '../core/envelope.js';
import { openTestDb, type TestDb } from './helpers/databases.js';
import { asStored, envelope, identity, NOW_MS, NOW_S, startTestRelay, TestClient } from './helpers/relay-client.js';

let t: TestDb;
let relay: Awaited<ReturnType<typeof startTestRelay>>;
const clients: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const c = await TestClient.connect(relay.url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await openTestDb('postgres');
  relay = await startTestRelay(t.db);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await relay?.close();
  await t?.dispose();
});

describe('AUTH', () => {
  const alice = identity('auth-alice');
  const bob = identity('auth-bob');
  const rng = deterministicRng('auth-tests');

  it('proves key ownership: OK, then a fresh CHALLENGE', async () => {
    const c = await connect();
    const first = c.challenge;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const frame = signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: first, timestamp: NOW_S }, rng);
    expect(await c.request(frame)).toEqual({ type: 'OK', command: 'AUTH', ref: alice.publicKey });
    const next = await c.next();
    expect(next).toEqual({ type: 'CHALLENGE', challenge: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(next.challenge).not.toBe(first);
    // The same frame again is a replay of a used nonce.
    expect(await c.request(frame)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: 'auth-failed: challenge already used' });
    // The fresh nonce proves a second key on the same connection.
    await c.auth(bob);
  });

  it('refuses a signature by another key, a stale or future timestamp, an unknown nonce and another relay URL', async () => {
    const c = await connect();
    const forged = { ...signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: c.challenge, timestamp: NOW_S }, rng), pubkey: bob.publicKey };
    expect(await c.request(forged)).toEqual({ type: 'ERROR', command: 'AUTH', ref: bob.publicKey, reason: 'auth-failed: bad signature' });
    const stale = signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: c.challenge, timestamp: NOW_S - 601 }, rng);
    const skew = "auth-failed: stale timestamp (more than 600 s from the relay's clock)";
    expect(await c.request(stale)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: skew });
    const future = signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: c.challenge, timestamp: NOW_S + 601 }, rng);
    expect(await c.request(future)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: skew });
    const unknown = signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: 'ab'.repeat(32), timestamp: NOW_S }, rng);
    expect(await c.request(unknown)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: 'auth-failed: unknown challenge' });
    const elsewhere = signAuth({ privateKey: alice.privateKey, relay: 'ws://relay.example.test', challenge: c.challenge, timestamp: NOW_S }, rng);
    expect(await c.request(elsewhere)).toEqual({
      type: 'ERROR',
      command: 'AUTH',
      ref: alice.publicKey,
      reason: `auth-failed: signed for relay "ws://relay.example.test", this is ${relay.url}`,
    });
    // None of the failures used the nonce up: a correct AUTH with it still succeeds (at 599 s of skew).
    await c.auth(alice, NOW_S - 599);
  });

  it("refuses a nonce issued to another connection (a captured AUTH cannot be replayed elsewhere)", async () => {
    const a = await connect();
    const b = await connect();
    const frame = signAuth({ privateKey: alice.privateKey, relay: relay.url, challenge: a.challenge, timestamp: NOW_S }, rng);
    expect(await b.request(frame)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: 'auth-failed: unknown challenge' });
    expect(await a.request(frame)).toEqual({ type: 'OK', command: 'AUTH', ref: alice.publicKey });
  });
});

describe('PUBLISH', () => {
  const alice = identity('pub-alice');
  const bob = identity('pub-bob');

  it('stores a valid envelope (OK), refuses it again as a duplicate', async () => {
    const c = await connect();
    const m = envelope(alice, [bob]);
    expect(await c.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    expect(await c.publish(m)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'duplicate: already stored' });
    const [row] = await t.db.query<{ sender: string; recipients: string[]; kind: number; timestamp: number }>('SELECT sender, recipients, kind, "timestamp" FROM relay_messages WHERE id = $1', [m.id]);
    expect(row).toEqual({ sender: alice.publicKey, recipients: [bob.publicKey], kind: 1, timestamp: NOW_S - 1000 });
  });

  it('refuses a bad signature, a tampered id, an expired envelope and a schema failure with invalid:', async () => {
    const c = await connect();
    const m = envelope(alice, [bob]);
    const other = envelope(alice, [bob]);
    expect(await c.publish({ ...m, signature: other.signature })).toEqual({
      type: 'ERROR',
      command: 'PUBLISH',
      ref: m.id,
      reason: 'invalid: bad_signature: signature does not verify under the sender key',
    });
    const fakeId = 'cd'.repeat(32);
    expect(await c.publish({ ...m, id: fakeId })).toEqual({
      type: 'ERROR',
      command: 'PUBLISH',
      ref: fakeId,
      reason: `invalid: id_mismatch: id ${fakeId} does not match canonical hash ${m.id}`,
    });
    // A changed header field no longer hashes to the id.
    const retimed = { ...m, timestamp: m.timestamp + 1 };
    expect(await c.publish(retimed)).toEqual({
      type: 'ERROR',
      command: 'PUBLISH',
      ref: m.id,
      reason: `invalid: id_mismatch: id ${m.id} does not match canonical hash ${computeId(retimed)}`,
    });
    const expired = envelope(alice, [bob], { timestamp: NOW_S - 100, expiry: NOW_S });
    expect(await c.publish(expired)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: expired.id, reason: `invalid: expired: expiry ${NOW_S} is in the past` });
    expect(await c.publish({ ...m, version: 2 })).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'invalid: unsupported_version: envelope version 2 is not 1' });
    expect(await c.publish('envelope')).toEqual({ type: 'ERROR', command: 'PUBLISH', reason: 'invalid: invalid_envelope: envelope must be a JSON object' });
    expect(await c.request({ type: 'PUBLISH' })).toEqual({ type: 'ERROR', command: 'PUBLISH', reason: 'invalid: PUBLISH: message: required' });
    // Nothing of it was stored.
    const rows = await t.db.query('SELECT id FROM relay_messages WHERE id = ANY($1::text[])', [[m.id, fakeId, expired.id]]);
    expect(rows).toEqual([]);
  });
});

describe('QUERY', () => {
  const alice = identity('q-alice');
  const bob = identity('q-bob');
  const carol = identity('q-carol');
  const m1 = envelope(alice, [bob], { timestamp: NOW_S - 400 });
  const m2 = envelope(alice, [bob], { timestamp: NOW_S - 300, kind: 2 });
  const m3 = envelope(carol, [bob, alice], { timestamp: NOW_S - 200 });
  const m4 = envelope(alice, [bob], { timestamp: NOW_S - 100 });
  let reader: TestClient;

  beforeAll(async () => {
    const c = await connect();
    for (const m of [m1, m2, m3, m4]) expect(await c.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    reader = await connect();
    await reader.auth(bob);
  });

  async function query(filter: Record<string, unknown>, client = reader): Promise<unknown[]> {
    client.send({ type: 'QUERY', sub: 'q', filter });
    const frames = await client.until('EOSE');
    expect(frames.at(-1)).toEqual({ type: 'EOSE', sub: 'q' });
    return frames.slice(0, -1).map((f) => {
      expect(f).toMatchObject({ type: 'MSG', sub: 'q' });
      return f.message;
    });
  }

  it('by to: every envelope addressed to the key, newest first, then EOSE', async () => {
    expect(await query({ to: [bob.publicKey] })).toEqual([m4, m3, m2, m1].map(asStored));
    // What comes back verifies as it is: the relay stores envelopes unchanged.
    const [first] = await query({ to: [bob.publicKey], limit: 1 });
    expect(verifyMessage(first).ok).toBe(true);
  });

  it('by ids, from, kinds, since, until and limit', async () => {
    const to = [bob.publicKey];
    expect(await query({ to, ids: [m2.id, m1.id] })).toEqual([m2, m1].map(asStored));
    expect(await query({ to, from: [carol.publicKey] })).toEqual([asStored(m3)]);
    expect(await query({ to, kinds: [2] })).toEqual([asStored(m2)]);
    expect(await query({ to, since: NOW_S - 200 })).toEqual([m4, m3].map(asStored));
    expect(await query({ to, until: NOW_S - 300 })).toEqual([m2, m1].map(asStored));
    expect(await query({ to, since: NOW_S - 300, until: NOW_S - 200 })).toEqual([m3, m2].map(asStored));
    expect(await query({ to, limit: 2 })).toEqual([m4, m3].map(asStored));
    expect(await query({ to, kinds: [7] })).toEqual([]);
  });

  it('by from: a sender reads its own sent envelopes after AUTH as itself', async () => {
    const c = await connect();
    await c.auth(alice);
    expect(await query({ from: [alice.publicKey] }, c)).toEqual([m4, m2, m1].map(asStored));
    // alice is also a recipient of m3.
    expect(await query({ to: [alice.publicKey] }, c)).toEqual([asStored(m3)]);
  });

  it("refuses to read another key's mail without AUTH as that key (auth-required:)", async () => {
    const c = await connect();
    expect(await c.request({ type: 'QUERY', sub: 'q', filter: { to: [bob.publicKey] } })).toEqual({
      type: 'ERROR',
      command: 'QUERY',
      ref: 'q',
      reason: `auth-required: AUTH as ${bob.publicKey} to read its messages`,
    });
    expect(await c.request({ type: 'QUERY', sub: 'q', filter: { ids: [m1.id] } })).toEqual({
      type: 'ERROR',
      command: 'QUERY',
      ref: 'q',
      reason: 'auth-required: a filter must name "to" or "from" keys this connection has authenticated as',
    });
    await c.auth(alice);
    // AUTH as alice does not open bob's mail, nor a mix of both keys.
    expect(await c.request({ type: 'SUB', sub: 's', filter: { to: [alice.publicKey, bob.publicKey] } })).toEqual({
      type: 'ERROR',
      command: 'SUB',
      ref: 's',
      reason: `auth-required: AUTH as ${bob.publicKey} to read its messages`,
    });
  });
});

describe('SUB and UNSUB', () => {
  const alice = identity('sub-alice');
  const bob = identity('sub-bob');

  it('a subscription receives a later PUBLISH live; after UNSUB it does not', async () => {
    const reader = await connect();
    await reader.auth(bob);
    expect(await reader.request({ type: 'SUB', sub: 'live', filter: { to: [bob.publicKey] } })).toEqual({ type: 'OK', command: 'SUB', ref: 'live' });
    // A second subscription that does not match (kind) stays silent.
    expect(await reader.request({ type: 'SUB', sub: 'voice', filter: { to: [bob.publicKey], kinds: [2] } })).toEqual({ type: 'OK', command: 'SUB', ref: 'voice' });
    const writer = await connect();
    const m = envelope(alice, [bob]);
    expect(await writer.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    expect(await reader.next()).toEqual({ type: 'MSG', sub: 'live', message: asStored(m) });

    expect(await reader.request({ type: 'UNSUB', sub: 'live' })).toEqual({ type: 'OK', command: 'UNSUB', ref: 'live' });
    expect(await reader.request({ type: 'UNSUB', sub: 'live' })).toEqual({ type: 'ERROR', command: 'UNSUB', ref: 'live', reason: 'invalid: no subscription "live"' });
    const later = envelope(alice, [bob]);
    expect(await writer.publish(later)).toEqual({ type: 'OK', command: 'PUBLISH', ref: later.id });
    // A fan-out would have been written to the reader before the writer's OK: the next frame
    // the reader sees is the answer to its own next request.
    expect(await reader.request({ type: 'UNSUB', sub: 'voice' })).toEqual({ type: 'OK', command: 'UNSUB', ref: 'voice' });
  });

  it('limits subscriptions per connection (limit:), replacing one by its id does not count', async () => {
    const c = await connect();
    await c.auth(bob);
    const filter = { to: [bob.publicKey] };
    for (let i = 0; i < 20; i++) expect(await c.request({ type: 'SUB', sub: `s${i}`, filter })).toEqual({ type: 'OK', command: 'SUB', ref: `s${i}` });
    expect(await c.request({ type: 'SUB', sub: 's20', filter })).toEqual({ type: 'ERROR', command: 'SUB', ref: 's20', reason: 'limit: at most 20 subscriptions per connection' });
    expect(await c.request({ type: 'SUB', sub: 's0', filter: { ...filter, kinds: [1] } })).toEqual({ type: 'OK', command: 'SUB', ref: 's0' });
  });
});

describe('bad input', () => {
  it('answers each malformed frame with an exact ERROR; the connection and other clients keep working', async () => {
    const bad = await connect();
    const cases: [unknown, Record<string, unknown>][] = [
      ['not json', { type: 'ERROR', reason: 'invalid: frame is not JSON' }],
      ['[]', { type: 'ERROR', reason: 'invalid: frame must be a JSON object with a string "type"' }],
      ['{"type":7}', { type: 'ERROR', reason: 'invalid: frame must be a JSON object with a string "type"' }],
      ['{"type":"HELLO"}', { type: 'ERROR', reason: 'invalid: unknown frame type "HELLO"' }],
      ['{"type":"MSG","sub":"x","message":{}}', { type: 'ERROR', reason: 'invalid: unknown frame type "MSG"' }],
      [
        { type: 'SUB', sub: 's1', filter: { to: ['XYZ'] } },
        { type: 'ERROR', command: 'SUB', ref: 's1', reason: 'invalid: SUB: filter.to.0: expected 32 bytes of lowercase hex' },
      ],
      [{ type: 'UNSUB', sub: 's1', extra: 1 }, { type: 'ERROR', command: 'UNSUB', ref: 's1', reason: 'invalid: UNSUB: (root): Unrecognized key: "extra"' }],
      [{ type: 'QUERY', sub: '', filter: {} }, { type: 'ERROR', command: 'QUERY', reason: 'invalid: QUERY: sub: expected 1-64 printable ASCII characters' }],
      [
        { type: 'QUERY', sub: 'q', filter: { to: ['ab'.repeat(32)], since: 10, until: 5 } },
        { type: 'ERROR', command: 'QUERY', ref: 'q', reason: 'invalid: QUERY: filter.since: since must not be after until' },
      ],
      [{ type: 'AUTH', pubkey: 'ab' }, { type: 'ERROR', command: 'AUTH', reason: expect.stringMatching(/^invalid: AUTH: pubkey: expected 32 bytes of lowercase hex; /) }],
    ];
    for (const [input, expected] of cases) expect(await bad.request(input)).toEqual(expected);
    bad.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await bad.next()).toEqual({ type: 'ERROR', reason: 'invalid: binary frames are not accepted; send JSON text' });

    // The same connection still works, and so does another one.
    const alice = identity('bad-alice');
    const m = envelope(alice, [identity('bad-bob')]);
    expect(await bad.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    const other = await connect();
    const m2 = envelope(alice, [identity('bad-bob')]);
    expect(await other.publish(m2)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m2.id });
  });
});

describe('retention', () => {
  it('prune deletes envelopes older than the retention (30 days) and those past their expiry', async () => {
    const alice = identity('ret-alice');
    const bob = identity('ret-bob');
    const old = envelope(alice, [bob], { timestamp: NOW_S - 40 * 86400 });
    const kept = envelope(alice, [bob], { timestamp: NOW_S - 29 * 86400 });
    const expiring = envelope(alice, [bob], { timestamp: NOW_S - 100, expiry: NOW_S - 10 });
    expect(await relay.store.insert(old, NOW_MS - (30 * 86400 + 1) * 1000)).toBe(true);
    expect(await relay.store.insert(kept, NOW_MS - (30 * 86400 - 1) * 1000)).toBe(true);
    expect(await relay.store.insert(expiring, NOW_MS - 60_000)).toBe(true);
    expect(await relay.prune()).toBe(2);
    const rows = await t.db.query<{ id: string }>('SELECT id FROM relay_messages WHERE sender = $1', [alice.publicKey]);
    expect(rows).toEqual([{ id: kept.id }]);
    expect(await relay.prune()).toBe(0);
  });
});

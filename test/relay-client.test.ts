// The relay client side against real relays on loopback (relay/server.ts over a real
// PostgreSQL): publish outcomes, reconnect and resubscribe across a relay restart, a pool with
// a relay down, the persistent outbox across a restart of its own, and the ack timeout.
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { VerifiedMessage } from '../core/envelope.js';
import { RelayClient, type RelayClientOptions, type RelayStateChange } from '../relay/client.js';
import { RelayClientError } from '../relay/client-errors.js';
import { startOutbox } from '../relay/outbox.js';
import { RelayPool } from '../relay/relay-pool.js';
import { RelayStore } from '../relay/store.js';
import { openTestDb, type TestDb } from './helpers/databases.js';
import { envelope, identity, memoryLogger, NOW_MS, NOW_S, startTestRelay } from './helpers/relay-client.js';

const alice = identity('client-alice');
const bob = identity('client-bob');

let t: TestDb;
let t2: TestDb;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [t, t2] = await Promise.all([openTestDb('postgres'), openTestDb('postgres')]);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await Promise.all([t?.dispose(), t2?.dispose()]);
});

/** Fast, deterministic reconnects; the relays' fixed clock for AUTH. */
const FAST = { reconnectBaseMs: 40, reconnectMaxMs: 300, ackTimeoutMs: 3_000, connectTimeoutMs: 2_000 };

function client(opts: Partial<RelayClientOptions> & { url: string }): RelayClient {
  const c = new RelayClient({ now: () => NOW_MS, random: () => 0.5, ...opts, limits: { ...FAST, ...opts.limits } });
  cleanup.push(() => c.close());
  return c;
}

async function relay(db = t.db, opts: Parameters<typeof startTestRelay>[1] = {}) {
  const r = await startTestRelay(db, opts);
  cleanup.push(() => r.close());
  return r;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A loopback port nothing listens on (for a relay that is down). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function counts(list: readonly VerifiedMessage[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) out[m.id] = (out[m.id] ?? 0) + 1;
  return out;
}

describe('RelayClient publish', () => {
  it('resolves on OK, treats duplicate: as delivered, rejects invalid: with the relay reason', async () => {
    const r = await relay();
    const c = client({ url: r.url });
    const m = envelope(alice, [bob]);
    expect(await c.publish(m)).toEqual({ relay: r.url, id: m.id, duplicate: false });
    expect(await c.publish(m)).toEqual({ relay: r.url, id: m.id, duplicate: true });

    const forged = { ...m, signature: envelope(alice, [bob]).signature };
    const err = await c.publish(forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayClientError);
    expect(err).toMatchObject({
      code: 'rejected',
      relay: r.url,
      reason: 'invalid: bad_signature: signature does not verify under the sender key',
      message: `relay ${r.url} refused ${m.id}: invalid: bad_signature: signature does not verify under the sender key`,
    });
    // Refused before sending: no hex id.
    await expect(c.publish({ ...m, id: 'nope' })).rejects.toThrow('envelope id must be 32 bytes of lowercase hex');
  });

  it('refuses a malformed filter locally and reports a SUB the relay refuses (no AUTH)', async () => {
    const r = await relay();
    const c = client({ url: r.url });
    expect(() => c.subscribe({ to: ['xyz'] }, () => {})).toThrow(expect.objectContaining({ code: 'invalid', message: 'filter: to.0: expected 32 bytes of lowercase hex' }));
    const sub = c.subscribe({ to: [bob.publicKey] }, () => {});
    await expect(sub.ready).rejects.toMatchObject({ code: 'rejected', reason: `auth-required: AUTH as ${bob.publicKey} to read its messages` });
  });
});

describe('RelayClient reconnect', () => {
  it('reconnects with backoff after a relay restart, resubscribes and misses nothing, each envelope once', async () => {
    const bob = identity('client-bob-reconnect');
    const first = await relay();
    const port = first.port;
    const states: RelayStateChange[] = [];
    const c = client({ url: first.url, keys: [bob.privateKey], onState: (s) => states.push(s) });
    const got: VerifiedMessage[] = [];
    const sub = c.subscribe({ to: [bob.publicKey] }, (m) => got.push(m));
    await sub.ready;

    const publisher = client({ url: first.url });
    const before = envelope(alice, [bob], { timestamp: NOW_S - 1000 });
    await publisher.publish(before);
    await waitFor('the live envelope', () => got.length === 1);

    await first.close();
    await waitFor('a failed reconnect', () => states.some((s) => s.state === 'waiting' && s.failures >= 2));
    // Arrived while this client was away (through another process of the relay, sharing its
    // store), with a timestamp older than the newest seen: found by the catch-up QUERY.
    const whileDown = envelope(alice, [bob], { timestamp: NOW_S - 1100 });
    expect(await new RelayStore(t.db).insert(whileDown, NOW_MS)).toBe(true);

    const readyAgain = states.length;
    await relay(t.db, { port });
    await waitFor('the reconnect', () => c.state === 'ready' && states.length > readyAgain);
    const after = envelope(alice, [bob], { timestamp: NOW_S - 900 });
    await publisher.publish(after);
    await waitFor('every envelope', () => got.length >= 3);
    // A round trip on the same connection, so a late duplicate would have arrived by now.
    await c.query({ to: [bob.publicKey], limit: 1 });

    expect(counts(got)).toEqual({ [before.id]: 1, [whileDown.id]: 1, [after.id]: 1 });
    const waits = states.filter((s) => s.state === 'waiting');
    // Full jitter with random() = 0.5: half of min(max, base · 2^failures).
    expect(waits.slice(0, 4).map((s) => s.delayMs)).toEqual([20, 40, 80, 150].slice(0, Math.min(4, waits.length)));
    expect(waits.every((s) => s.delayMs! <= FAST.reconnectMaxMs)).toBe(true);
    expect(states.at(-1)).toEqual({ relay: first.url, state: 'ready', failures: 0 });
  });
});

describe('RelayPool', () => {
  it('publishes when one relay is down and delivers envelopes carried by two relays once', async () => {
    const r1 = await relay(t.db);
    const r2 = await relay(t2.db);
    const down = `ws://127.0.0.1:${await freePort()}`;
    const pool = new RelayPool({ urls: [r1.url, down], now: () => NOW_MS, limits: { ...FAST, ackTimeoutMs: 1_000 } });
    cleanup.push(() => pool.close());
    const m = envelope(alice, [bob]);
    expect(await pool.publish(m)).toEqual({ relay: r1.url, id: m.id, duplicate: false });
    expect(await pool.publishTo(m, [r1.url, down])).toEqual([
      { relay: r1.url, status: 'duplicate' },
      { relay: down, status: 'failed', error: expect.objectContaining({ code: 'timeout', message: `relay ${down} did not answer PUBLISH ${m.id} within 1000 ms` }) },
    ]);

    const readers = new RelayPool({ urls: [r1.url, r2.url], keys: [bob.privateKey], now: () => NOW_MS, limits: FAST });
    cleanup.push(() => readers.close());
    const got: { id: string; relay: string }[] = [];
    const sub = readers.subscribe({ to: [bob.publicKey], since: NOW_S - 10 }, (msg, origin) => got.push({ id: msg.id, relay: origin.relay }));
    await Promise.all([...sub.relays.values()].map((s) => s.ready));
    const both = envelope(alice, [bob], { timestamp: NOW_S });
    const writers = new RelayPool({ urls: [r1.url, r2.url], now: () => NOW_MS, limits: FAST });
    cleanup.push(() => writers.close());
    expect(await writers.publishTo(both, [r1.url, r2.url])).toEqual([
      { relay: r1.url, status: 'ok' },
      { relay: r2.url, status: 'ok' },
    ]);
    await waitFor('the envelope', () => got.length === 1);
    // Both relays pushed it (each stored it and fans out to its live subscribers); one delivery.
    await Promise.all([r1.url, r2.url].map((url) => readers.client(url)!.query({ ids: [both.id], to: [bob.publicKey] })));
    expect(got.map((g) => g.id)).toEqual([both.id]);
  });

  it('rejects unreachable when no relay accepts, naming each', async () => {
    const down1 = `ws://127.0.0.1:${await freePort()}`;
    const down2 = `ws://127.0.0.1:${await freePort()}`;
    const pool = new RelayPool({ urls: [down1, down2], limits: { ...FAST, ackTimeoutMs: 300 } });
    cleanup.push(() => pool.close());
    const m = envelope(alice, [bob]);
    await expect(pool.publish(m)).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(new RegExp(`^no relay accepted ${m.id}: relay ${down1}|${down2} did not answer`)),
    });
  });
});

describe('outbox', () => {
  it('keeps an envelope queued across a restart and delivers it once the relay is up, once', async () => {
    const gw = await openTestDb('pglite');
    cleanup.push(() => gw.dispose());
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const limits = { pollMs: 50, retryBaseMs: 50, retryMaxMs: 200 };
    const logger = memoryLogger();
    const m = envelope(alice, [bob]);

    const pool1 = new RelayPool({ urls: [url], limits: { ...FAST, ackTimeoutMs: 300 } });
    const outbox1 = startOutbox({ db: gw.db, pool: pool1, logger, limits });
    const id = await outbox1.enqueue(m);
    const target = async () => (await gw.db.query<{ state: string; attempts: number; last_error: string | null }>('SELECT state, attempts, last_error FROM relay_outbox_targets WHERE outbox_id = $1', [id]))[0]!;
    await waitFor('a failed attempt', async () => (await target()).last_error !== null);
    await outbox1.close();
    await pool1.close();
    expect(await target()).toMatchObject({ state: 'queued', last_error: `relay ${url} did not answer PUBLISH ${m.id} within 300 ms` });

    // "Restart": a new pool and outbox on the same database, then the relay comes up.
    const outcomes: string[] = [];
    const pool2 = new RelayPool({ urls: [url], limits: FAST });
    cleanup.push(() => pool2.close());
    const outbox2 = startOutbox({ db: gw.db, pool: pool2, logger, limits, onOutcome: (env, o) => outcomes.push(`${env}:${o.status}`) });
    cleanup.push(() => outbox2.close());
    const r = await relay(t.db, { port });
    await waitFor('delivery', async () => (await target()).state === 'sent');
    expect(outcomes).toEqual([`${m.id}:ok`]);
    expect(await t.db.query('SELECT id FROM relay_messages WHERE id = $1', [m.id])).toEqual([{ id: m.id }]);
    expect(await r.store.query({ ids: [m.id] }, { nowSeconds: NOW_S, limit: 10, batchRows: 10 }).next()).toMatchObject({ value: { id: m.id } });

    // Queued again for the same relay: already done there, nothing is published.
    expect(await outbox2.enqueue(m)).toBe(id);
    expect(await gw.db.query('SELECT relay_url, state FROM relay_outbox_targets WHERE outbox_id = $1', [id])).toEqual([{ relay_url: url, state: 'sent' }]);
  });

  it('fails a target the relay refuses for good (invalid:), with its reason', async () => {
    const gw = await openTestDb('pglite');
    cleanup.push(() => gw.dispose());
    const r = await relay();
    const pool = new RelayPool({ urls: [r.url], limits: FAST });
    cleanup.push(() => pool.close());
    const outbox = startOutbox({ db: gw.db, pool, logger: memoryLogger(), limits: { pollMs: 50 } });
    cleanup.push(() => outbox.close());
    const m = envelope(alice, [bob]);
    const forged = { ...m, signature: envelope(alice, [bob]).signature } as VerifiedMessage;
    const id = await outbox.enqueue(forged);
    const rows = () => gw.db.query<{ state: string; last_error: string }>('SELECT state, last_error FROM relay_outbox_targets WHERE outbox_id = $1', [id]);
    await waitFor('the refusal', async () => (await rows())[0]?.state === 'failed');
    expect(await rows()).toEqual([{ state: 'failed', last_error: `relay ${r.url} refused ${m.id}: invalid: bad_signature: signature does not verify under the sender key` }]);
  });
});

describe('ack timeout', () => {
  it('rejects a publish the relay never answers, naming the relay', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    // Sends a CHALLENGE like a relay, then ignores every frame.
    wss.on('connection', (ws) => ws.send(JSON.stringify({ type: 'CHALLENGE', challenge: 'ab'.repeat(32) })));
    cleanup.push(() => new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(resolve);
    }));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const c = client({ url, limits: { ackTimeoutMs: 400 } });
    const m = envelope(alice, [bob]);
    const err = await c.publish(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayClientError);
    expect(err).toMatchObject({ code: 'timeout', relay: url, message: `relay ${url} did not answer PUBLISH ${m.id} within 400 ms` });
    expect(c.state).toBe('ready');
  });
});

// The relay's abuse limits over real connections: publish rates per IP and per key, the
// PUBLISH size and the frame size, connections per IP, the relay fee, and slow consumers.
// Each limit answers with its exact frame and leaves the relay serving everyone else.
import { describe, expect, it } from 'vitest';
import { asStored, envelope, identity, relaysOnPostgres } from './helpers/relay-client.js';

const t = relaysOnPostgres();
const relayWith = t.relay;
const connect = t.connect;

describe('publish rates', () => {
  it('per key: past the limit rate-limited:, other keys unaffected', async () => {
    const relay = await relayWith({ limits: { publishesPerKey: 2 } });
    const c = await connect(relay.url);
    const alice = identity('rate-alice');
    const bob = identity('rate-bob');
    for (let i = 0; i < 2; i++) {
      const m = envelope(alice, [bob]);
      expect(await c.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    }
    const third = envelope(alice, [bob]);
    expect(await c.publish(third)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: third.id, reason: 'rate-limited: more than 2 publishes per 60 s from this key' });
    const fromBob = envelope(bob, [alice]);
    expect(await c.publish(fromBob)).toEqual({ type: 'OK', command: 'PUBLISH', ref: fromBob.id });
  });

  it('per IP: counted before verification, so even invalid frames use it up', async () => {
    const relay = await relayWith({ limits: { publishesPerIp: 3 } });
    const a = await connect(relay.url);
    const b = await connect(relay.url);
    const alice = identity('ip-alice');
    const bob = identity('ip-bob');
    const m = envelope(alice, [bob]);
    expect(await a.publish({ ...m, signature: '00'.repeat(64) })).toMatchObject({ type: 'ERROR', reason: expect.stringMatching(/^invalid: bad_signature/) });
    expect(await a.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    const m2 = envelope(bob, [alice]);
    expect(await b.publish(m2)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m2.id });
    // Both connections come from 127.0.0.1.
    const m3 = envelope(bob, [alice]);
    expect(await b.publish(m3)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m3.id, reason: 'rate-limited: more than 3 publishes per 60 s from this address' });
    // Reading is not rate-limited.
    expect(await a.request({ type: 'QUERY', sub: 'q', filter: { to: [bob.publicKey] } })).toMatchObject({ type: 'ERROR', reason: expect.stringMatching(/^auth-required:/) });
  });
});

describe('sizes', () => {
  it('a PUBLISH over maxMessageBytes gets invalid: oversize; a frame over maxFrameBytes closes with 1009', async () => {
    const relay = await relayWith({ limits: { maxMessageBytes: 4096, maxFrameBytes: 16384 } });
    const c = await connect(relay.url);
    const alice = identity('size-alice');
    const bob = identity('size-bob');
    const big = envelope(alice, [bob], { body: 'x'.repeat(5000) });
    const bytes = Buffer.byteLength(JSON.stringify({ type: 'PUBLISH', message: big }));
    expect(bytes).toBeGreaterThan(4096);
    expect(bytes).toBeLessThan(16384);
    expect(await c.publish(big)).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: big.id, reason: `invalid: oversize: frame of ${bytes} bytes exceeds 4096` });
    const small = envelope(alice, [bob]);
    expect(await c.publish(small)).toEqual({ type: 'OK', command: 'PUBLISH', ref: small.id });

    const other = await connect(relay.url);
    c.send({ type: 'PUBLISH', message: envelope(alice, [bob], { body: 'y'.repeat(20_000) }) });
    expect(await c.closed).toEqual({ code: 1009, reason: '' });
    const after = envelope(alice, [bob]);
    expect(await other.publish(after)).toEqual({ type: 'OK', command: 'PUBLISH', ref: after.id });
  });
});

describe('frame floods', () => {
  it('a client sending far more frames than are handled at once gets every answer, in order', async () => {
    const relay = await relayWith({ limits: { maxQueuedFrames: 4 } });
    const c = await connect(relay.url);
    for (let i = 0; i < 200; i++) c.send(i % 2 ? 'not json' : { type: 'UNSUB', sub: `s${i}` });
    const m = envelope(identity('flood-alice'), [identity('flood-bob')]);
    c.send({ type: 'PUBLISH', message: m });
    for (let i = 0; i < 200; i++) {
      expect(await c.next()).toEqual(i % 2 ? { type: 'ERROR', reason: 'invalid: frame is not JSON' } : { type: 'ERROR', command: 'UNSUB', ref: `s${i}`, reason: `invalid: no subscription "s${i}"` });
    }
    expect(await c.next()).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
  });
});

describe('connections per IP', () => {
  it('one connection too many gets its CHALLENGE, a NOTICE and close 1008', async () => {
    const relay = await relayWith({ limits: { connectionsPerIp: 2 } });
    const a = await connect(relay.url);
    await connect(relay.url);
    const third = await connect(relay.url);
    expect(await third.next()).toEqual({ type: 'NOTICE', message: 'limit: more than 2 connections from this address' });
    expect(await third.closed).toEqual({ code: 1008, reason: 'limit: more than 2 connections from this address' });
    // The slot is free again once it closed.
    await a.close();
    const fourth = await connect(relay.url);
    const m = envelope(identity('conn-alice'), [identity('conn-bob')]);
    expect(await fourth.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
  });
});

describe('relay fee', () => {
  it('INVOICE then payment-required: for a sender the admission hook refuses; nothing is stored', async () => {
    const member = identity('fee-member');
    const stranger = identity('fee-stranger');
    const bob = identity('fee-bob');
    const relay = await relayWith({
      admit: (m) =>
        Promise.resolve(m.from === member.publicKey ? { accept: true } : { accept: false, invoice: { bolt11: 'lnbcrt10n1fee', amount: 1, expiresAt: 1_800_000_600 } }),
    });
    const c = await connect(relay.url);
    const paid = envelope(member, [bob]);
    expect(await c.publish(paid)).toEqual({ type: 'OK', command: 'PUBLISH', ref: paid.id });
    const unpaid = envelope(stranger, [bob]);
    expect(await c.publish(unpaid)).toEqual({ type: 'INVOICE', ref: unpaid.id, bolt11: 'lnbcrt10n1fee', amount: 1, expiresAt: 1_800_000_600 });
    expect(await c.next()).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: unpaid.id, reason: 'payment-required: relay fee of 1 sats; pay the invoice and publish again' });
    expect(await t.db.query('SELECT 1 FROM relay_messages WHERE id = $1', [unpaid.id])).toEqual([]);
  });
});

describe('slow consumers', () => {
  it('a subscriber that stops reading gets a NOTICE and is disconnected; publishers and others carry on', async () => {
    const relay = await relayWith({ limits: { maxBufferedBytes: 64 * 1024, maxMessageBytes: 256 * 1024, maxFrameBytes: 300 * 1024, publishesPerKey: 10_000, publishesPerIp: 10_000 } });
    const alice = identity('slow-alice');
    const bob = identity('slow-bob');
    const slow = await connect(relay.url);
    await slow.auth(bob);
    expect(await slow.request({ type: 'SUB', sub: 'all', filter: { to: [bob.publicKey] } })).toEqual({ type: 'OK', command: 'SUB', ref: 'all' });
    const healthy = await connect(relay.url);
    await healthy.auth(bob);
    expect(await healthy.request({ type: 'SUB', sub: 'all', filter: { to: [bob.publicKey] } })).toEqual({ type: 'OK', command: 'SUB', ref: 'all' });
    slow.ws.pause();

    const writer = await connect(relay.url);
    const body = 'z'.repeat(100_000);
    let published = 0;
    const disconnected = () => relay.logger.lines.some((l) => l.msg === 'slow consumer disconnected');
    while (!disconnected()) {
      if (published >= 400) throw new Error('the relay never cut the slow consumer');
      const m = envelope(alice, [bob], { body });
      expect(await writer.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
      expect(await healthy.next()).toEqual({ type: 'MSG', sub: 'all', message: asStored(m) });
      published++;
    }
    slow.ws.resume();
    const tail = await slow.until('NOTICE');
    expect(tail.length).toBeLessThanOrEqual(published + 1);
    expect(tail.slice(0, -1).every((f) => f.type === 'MSG')).toBe(true);
    expect(tail.at(-1)).toEqual({ type: 'NOTICE', message: 'slow-consumer: more than 65536 bytes unread, closing' });
    expect(await slow.closed).toEqual({ code: 1008, reason: 'slow-consumer: more than 65536 bytes unread, closing' });

    // The relay and the other subscriber are unaffected.
    const m = envelope(alice, [bob]);
    expect(await writer.publish(m)).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
    expect(await healthy.next()).toEqual({ type: 'MSG', sub: 'all', message: asStored(m) });
  });
});

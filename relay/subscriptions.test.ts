import { describe, expect, it } from 'vitest';
import { createMessage } from '../core/envelope.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { fromHex } from '../core/bytes.js';
import { identityFromPrivateKey } from '../core/keys.js';
import { matchesFilter, SubscriptionRegistry, type Subscriber } from './subscriptions.js';

const alice = identityFromPrivateKey(fromHex('11'.repeat(32), 32));
const bob = identityFromPrivateKey(fromHex('22'.repeat(32), 32));
const carol = identityFromPrivateKey(fromHex('33'.repeat(32), 32));
const msg = createMessage({ privateKey: alice.privateKey, to: [bob.publicKey, carol.publicKey], content: { type: 'text', body: 'hi' }, timestamp: 1000, kind: 2 }, deterministicRng('m'));

describe('matchesFilter', () => {
  it.each([
    [{}, true],
    [{ ids: [msg.id] }, true],
    [{ ids: ['00'.repeat(32)] }, false],
    [{ to: [carol.publicKey] }, true],
    [{ to: [alice.publicKey] }, false],
    [{ from: [alice.publicKey] }, true],
    [{ from: [bob.publicKey] }, false],
    [{ kinds: [1, 2] }, true],
    [{ kinds: [1] }, false],
    [{ since: 1000, until: 1000 }, true],
    [{ since: 1001 }, false],
    [{ until: 999 }, false],
    [{ to: [bob.publicKey], limit: 1 }, true],
  ])('%j → %s', (filter, expected) => {
    expect(matchesFilter(msg, filter)).toBe(expected);
  });
});

describe('SubscriptionRegistry', () => {
  function recorder(): Subscriber & { got: string[] } {
    const got: string[] = [];
    return { got, deliver: (sub, json) => void got.push(`${sub}:${(JSON.parse(json) as { id: string }).id === msg.id}`) };
  }

  it('delivers once per matching subscription, by recipient or sender index; removes cleanly', () => {
    const r = new SubscriptionRegistry();
    const a = recorder();
    const b = recorder();
    r.set(a, 'both', { to: [bob.publicKey, carol.publicKey] });
    r.set(a, 'sent', { from: [alice.publicKey] });
    r.set(b, 'other', { to: [alice.publicKey] });
    r.set(b, 'voice', { to: [carol.publicKey], kinds: [1] });
    expect(r.fanOut(msg)).toBe(2);
    expect(a.got).toEqual(['both:true', 'sent:true']);
    expect(b.got).toEqual([]);
    r.set(b, 'voice', { to: [carol.publicKey], kinds: [2] });
    expect(r.count(b)).toBe(2);
    r.removeAll(a);
    expect(r.count(a)).toBe(0);
    expect(r.fanOut(msg)).toBe(1);
    expect(b.got).toEqual(['voice:true']);
    expect(r.remove(b, 'nope')).toBe(false);
  });

  it('matches routing fields alone (wants) and delivers JSON it is given as it is (fanOutJson)', () => {
    const r = new SubscriptionRegistry();
    const a = recorder();
    const routing = { id: msg.id, from: msg.from, to: msg.to, kind: msg.kind, timestamp: msg.timestamp };
    expect(r.wants(routing)).toBe(false);
    r.set(a, 'voice', { to: [carol.publicKey], kinds: [1] });
    expect(r.wants(routing)).toBe(false);
    r.set(a, 'inbox', { to: [bob.publicKey] });
    expect(r.wants(routing)).toBe(true);
    expect(r.fanOutJson(routing, JSON.stringify({ id: msg.id }))).toBe(1);
    expect(a.got).toEqual(['inbox:true']);
  });
});

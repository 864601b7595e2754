import { describe, expect, it } from 'vitest';
import { deterministicRng } from '../core/deterministic-rng.js';
import { identityFromPrivateKey } from '../core/keys.js';
import { fromHex, toHex } from '../core/bytes.js';
import { schnorrVerify } from '../core/secp256k1.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '../core/hash.js';
import { utf8 } from '../core/bytes.js';
import { canonicalize } from '../core/jcs.js';
import { AuthState, authDigest, AUTH_CONTEXT, signAuth } from './auth.js';
import vectors from './vectors/auth.json' with { type: 'json' };
import { RelayError } from './errors.js';

const alice = identityFromPrivateKey(fromHex('11'.repeat(32), 32));
const bob = identityFromPrivateKey(fromHex('22'.repeat(32), 32));
const URL = 'wss://relay.example.test';

describe('AUTH digest', () => {
  it('binds the context, key, relay URL, nonce and time (JCS, sha256)', () => {
    const p = { pubkey: alice.publicKey, relay: URL, challenge: '00'.repeat(32), timestamp: 1_800_000_000 };
    const digest = toHex(authDigest(p));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    for (const changed of [{ relay: 'wss://other.example.test' }, { challenge: '01'.repeat(32) }, { timestamp: 1_800_000_001 }, { pubkey: bob.publicKey }]) {
      expect(toHex(authDigest({ ...p, ...changed }))).not.toBe(digest);
    }
    const frame = signAuth({ privateKey: alice.privateKey, relay: URL, challenge: p.challenge, timestamp: p.timestamp }, deterministicRng('a'));
    expect(schnorrVerify(fromHex(frame.signature, 64), authDigest(p), fromHex(alice.publicKey, 32))).toBe(true);
  });
});

describe('AUTH vectors (relay/vectors/auth.json)', () => {
  it.each(vectors.cases)('regenerates $digest byte for byte, and noble agrees', (v) => {
    const { pubkey, relay, challenge, timestamp } = v.frame;
    expect(canonicalize({ context: AUTH_CONTEXT, pubkey, relay, challenge, timestamp })).toBe(v.canonical);
    expect(toHex(sha256(utf8(v.canonical)))).toBe(v.digest);
    const sk = fromHex(v.privateKey, 32);
    expect(signAuth({ privateKey: sk, relay, challenge, timestamp }, () => fromHex(v.auxRand, 32))).toEqual(v.frame);
    expect(toHex(schnorr.sign(fromHex(v.digest, 32), sk, fromHex(v.auxRand, 32)))).toBe(v.frame.signature);
  });
});

describe('AuthState', () => {
  const reason = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return e instanceof RelayError ? e.message : String(e);
    }
    return 'accepted';
  };

  it('accepts each issued nonce once, up to the key limit', () => {
    const rng = deterministicRng('state');
    const s = new AuthState(URL, { maxAuthKeysPerConnection: 1, maxAuthFailuresPerConnection: 3, authMaxSkewSeconds: 600 });
    const c1 = s.issue(rng);
    const f1 = signAuth({ privateKey: alice.privateKey, relay: URL, challenge: c1, timestamp: 1000 }, rng);
    expect(reason(() => s.accept(f1, 1000))).toBe('accepted');
    expect(reason(() => s.accept(f1, 1000))).toBe('auth-failed: challenge already used');
    const c2 = s.issue(rng);
    const f2 = signAuth({ privateKey: bob.privateKey, relay: URL, challenge: c2, timestamp: 1000 }, rng);
    // 600 s of skew is still fresh; the key limit refuses it.
    expect(reason(() => s.accept(f2, 1600))).toBe('limit: at most 1 keys per connection');
    expect([...s.keys]).toEqual([alice.publicKey]);
    // Two failures so far (replay, key limit); the third is the last one checked.
    expect(reason(() => s.accept({ ...f2, signature: '00'.repeat(64) }, 1000))).toBe('auth-failed: bad signature');
    expect(reason(() => s.accept(f2, 1000))).toBe('limit: more than 3 failed AUTH attempts on this connection');
  });

  it('lets a filter read only keys it proved, by "to" or by "from"', () => {
    const rng = deterministicRng('read');
    const s = new AuthState(URL, { maxAuthKeysPerConnection: 4, maxAuthFailuresPerConnection: 3, authMaxSkewSeconds: 600 });
    s.accept(signAuth({ privateKey: alice.privateKey, relay: URL, challenge: s.issue(rng), timestamp: 5 }, rng), 5);
    expect(reason(() => s.assertMayRead({ to: [alice.publicKey] }))).toBe('accepted');
    expect(reason(() => s.assertMayRead({ from: [alice.publicKey], to: [bob.publicKey] }))).toBe('accepted');
    expect(reason(() => s.assertMayRead({ to: [bob.publicKey] }))).toBe(`auth-required: AUTH as ${bob.publicKey} to read its messages`);
    expect(reason(() => s.assertMayRead({ kinds: [1] }))).toBe('auth-required: a filter must name "to" or "from" keys this connection has authenticated as');
  });
});

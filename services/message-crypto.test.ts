import { describe, expect, it } from 'vitest';
import { identityFromPrivateKey, sha256, utf8 } from '../core/index.js';
import { DeliverySealer, DELIVERY_KEY_MAX_USES, DELIVERY_KEY_TTL_MS, openDelivered, threadingIds } from './message-crypto.js';
import { systemRng } from './random.js';

const alice = identityFromPrivateKey(sha256(utf8('mc-alice')));
const bob = identityFromPrivateKey(sha256(utf8('mc-bob')));
const ephemeralOf = (blob: Uint8Array) => Buffer.from(blob.subarray(1, 33)).toString('hex');

describe('delivery sealing', () => {
  it('opens only with the recipient key and the owning user id', () => {
    const sealer = new DeliverySealer(systemRng);
    const raw = utf8('Subject: hi\r\n\r\nbody');
    const blob = sealer.seal(alice.publicKey, 7, raw);
    expect(Buffer.from(openDelivered(blob, 7, alice.privateKey)).toString()).toBe('Subject: hi\r\n\r\nbody');
    expect(() => openDelivered(blob, 7, bob.privateKey)).toThrow(expect.objectContaining({ code: 'integrity' }));
    expect(() => openDelivered(blob, 8, alice.privateKey)).toThrow(expect.objectContaining({ code: 'integrity' }));
    for (const i of [0, 1, 40, 55, blob.length - 1]) {
      const bad = blob.slice();
      bad[i]! ^= 1;
      expect(() => openDelivered(bad, 7, alice.privateKey)).toThrow(expect.objectContaining({ code: 'integrity' }));
    }
    expect(() => openDelivered(blob.subarray(0, 20), 7, alice.privateKey)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });

  it('reuses an ephemeral key per recipient for a bounded number of uses and time, never across recipients', () => {
    let now = 1_000_000;
    const sealer = new DeliverySealer(systemRng, () => now);
    const a1 = sealer.seal(alice.publicKey, 1, utf8('x'));
    const a2 = sealer.seal(alice.publicKey, 1, utf8('y'));
    const b1 = sealer.seal(bob.publicKey, 2, utf8('z'));
    expect(ephemeralOf(a1)).toBe(ephemeralOf(a2));
    expect(ephemeralOf(b1)).not.toBe(ephemeralOf(a1));
    // Same ephemeral key, still a distinct key per blob (salt): equal plaintexts differ.
    expect(Buffer.from(sealer.seal(alice.publicKey, 1, utf8('x'))).equals(Buffer.from(a1))).toBe(false);
    now += DELIVERY_KEY_TTL_MS + 1;
    expect(ephemeralOf(sealer.seal(alice.publicKey, 1, utf8('x')))).not.toBe(ephemeralOf(a1));
    const seen = new Set<string>();
    for (let i = 0; i < DELIVERY_KEY_MAX_USES + 1; i++) seen.add(ephemeralOf(sealer.seal(bob.publicKey, 2, utf8('m'))));
    expect(seen.size).toBe(2);
  });
});

describe('threading ids', () => {
  it('reads Message-ID, In-Reply-To and References from folded headers', () => {
    const raw = utf8('Message-ID: <a@x>\r\nReferences: <r1@x>\r\n <r2@x>\r\nIn-Reply-To: <r2@x>\r\nSubject: s\r\n\r\nMessage-ID: <body@x>\r\n');
    expect(threadingIds(raw)).toEqual({ messageId: '<a@x>', refs: ['<r1@x>', '<r2@x>'] });
    expect(threadingIds(utf8('Subject: none\r\n\r\n'))).toEqual({ messageId: undefined, refs: [] });
  });
});

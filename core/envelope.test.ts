import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeId, createMessage, openMessage, verifyMessage, type LnmpMessage } from './envelope.js';
import { deterministicRng } from './deterministic-rng.js';
import { identityFromPrivateKey } from './keys.js';
import { sha256 } from './hash.js';
import { toHex, utf8 } from './bytes.js';
import { canonicalize } from './jcs.js';
import { MessageKinds } from './constants.js';
import { schnorrSign } from './secp256k1.js';

const alice = identityFromPrivateKey(sha256(utf8('envelope-alice')));
const bob = identityFromPrivateKey(sha256(utf8('envelope-bob')));
const carol = identityFromPrivateKey(sha256(utf8('envelope-carol')));
const rng = deterministicRng('envelope-test');

function make(overrides: Partial<Parameters<typeof createMessage>[0]> = {}) {
  return createMessage(
    { privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', subject: 'Hi', body: 'Hello Bob' }, timestamp: 1_800_000_000, ...overrides },
    rng,
  );
}

describe('envelope', () => {
  it('creates a verified, signed envelope whose id is sha256 of the JCS form without id and signature', () => {
    const m = make({ relays: ['wss://relay.example.test'], expiry: 1_800_086_400, priority: 'high' });
    const { id, signature, ...rest } = m;
    expect(id).toBe(toHex(sha256(utf8(canonicalize(rest)))));
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    expect(m.version).toBe(1);
    expect(m.kind).toBe(MessageKinds.TEXT);
    expect(verifyMessage(JSON.parse(JSON.stringify(m))).ok).toBe(true);
  });

  it('recipients and the sender can open it; others cannot', () => {
    const m = make({ to: [bob.publicKey, carol.publicKey] });
    expect(openMessage(m, bob.privateKey)).toEqual({ type: 'text', subject: 'Hi', body: 'Hello Bob' });
    expect(openMessage(m, carol.privateKey).body).toBe('Hello Bob');
    expect(openMessage(m, alice.privateKey).body).toBe('Hello Bob');
    const eve = identityFromPrivateKey(sha256(utf8('eve')));
    expect(() => openMessage(m, eve.privateKey)).toThrow(expect.objectContaining({ code: 'not_addressed' }));
  });

  it('carries every content field through a round trip', () => {
    const content = {
      type: 'file' as const,
      subject: 'Files',
      body: '**see** attached',
      threadId: 't-1',
      replyTo: 'ab'.repeat(32),
      attachments: [
        {
          ipfsHash: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
          filename: 'a.pdf',
          size: 1234,
          mimeType: 'application/pdf',
          encryptionKey: 'cd'.repeat(32),
          algorithm: 'AES-256-GCM' as const,
          price: 5,
          checksums: { sha256: 'ef'.repeat(32) },
        },
      ],
      formatting: 'markdown' as const,
      mentions: [carol.publicKey],
      reactions: [{ from: bob.publicKey, emoji: '👍', timestamp: 1_800_000_001 }],
      editHistory: [{ timestamp: 1_799_999_999, body: 'draft' }],
      deleteAfter: 1_900_000_000,
      readReceipts: true,
      mime: toBase64Ascii('Subject: x\r\n\r\nhello\r\n'),
    };
    const m = make({ content, kind: MessageKinds.FILE, payment: { preimage: '11'.repeat(32), amount: 100, route: 'hint' } });
    expect(openMessage(m, bob.privateKey)).toEqual(content);
  });

  it('property: flipping any byte of a signed envelope is detected', () => {
    const m = make();
    const json = JSON.stringify(m);
    fc.assert(
      fc.property(fc.nat(json.length - 1), fc.integer({ min: 1, max: 127 }), (pos, x) => {
        const changed = String.fromCharCode(json.charCodeAt(pos) ^ x);
        const mutated = json.slice(0, pos) + changed + json.slice(pos + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(mutated);
        } catch {
          return; // not JSON any more: rejected before verification
        }
        const r = verifyMessage(parsed);
        if (r.ok) {
          // Only a change that JSON parsing erases (e.g. white space) may still verify.
          expect(canonicalize(r.message)).toBe(canonicalize(m));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a re-signed envelope with a copied ciphertext does not open (header bound as AAD)', () => {
    const m = make();
    const forged: Omit<LnmpMessage, 'id' | 'signature'> & { id?: string; signature?: string } = { ...m, timestamp: m.timestamp + 1 };
    delete forged.id;
    delete forged.signature;
    const id = computeId(forged);
    const v = verifyMessage({ ...forged, id, signature: m.signature });
    expect(v.ok).toBe(false);
    // Even a correctly signed forgery fails to decrypt, because the header is AAD.
    const sig = toHex(schnorrSign(Buffer.from(id, 'hex'), alice.privateKey, new Uint8Array(32)));
    const v2 = verifyMessage({ ...forged, id, signature: sig });
    expect(v2.ok).toBe(true);
    if (v2.ok) expect(() => openMessage(v2.message, bob.privateKey)).toThrow(expect.objectContaining({ code: 'tampered' }));
  });

  it('verify never throws and names each failure', () => {
    const m = make();
    const cases: Array<[unknown, string]> = [
      [null, 'invalid_envelope'],
      ['string', 'invalid_envelope'],
      [[], 'invalid_envelope'],
      [{ ...m, version: 2 }, 'unsupported_version'],
      [{ ...m, encrypted: { ...m.encrypted, algorithm: 'XChaCha20' } }, 'unknown_algorithm'],
      [{ ...m, id: '00'.repeat(32) }, 'id_mismatch'],
      [{ ...m, signature: '00'.repeat(64) }, 'bad_signature'],
      [{ ...m, to: [] }, 'invalid_envelope'],
      [{ ...m, to: [bob.publicKey, bob.publicKey] }, 'invalid_envelope'],
      [{ ...m, from: 'AB'.repeat(32) }, 'invalid_envelope'],
      [{ ...m, extra: true }, 'invalid_envelope'],
      [{ ...m, priority: 'mega' }, 'invalid_envelope'],
      [{ ...m, kind: 99 }, 'invalid_envelope'],
      [{ ...m, expiry: m.timestamp }, 'invalid_envelope'],
      [{ ...m, relays: ['http://not-ws.example'] }, 'invalid_envelope'],
      [{ ...m, encrypted: { ...m.encrypted, keys: m.encrypted.keys.slice(0, 1) } }, 'invalid_envelope'],
    ];
    for (const [input, code] of cases) {
      const r = verifyMessage(input);
      expect(r.ok, JSON.stringify(input)?.slice(0, 80)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code);
    }
  });

  it('createMessage rejects invalid content and multi-recipient payments', () => {
    expect(() => make({ content: { type: 'fax', body: '' } as never })).toThrow(expect.objectContaining({ code: 'invalid_content' }));
    expect(() => make({ to: [bob.publicKey, carol.publicKey], payment: { preimage: '11'.repeat(32), amount: 1 } })).toThrow(
      expect.objectContaining({ code: 'invalid_envelope' }),
    );
  });
});

function toBase64Ascii(s: string): string {
  return Buffer.from(s, 'latin1').toString('base64');
}

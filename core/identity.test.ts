import { describe, expect, it } from 'vitest';
import { createDomainProof, createIdentityDocument, DEFAULT_PRICING, domainChallenge, verifyDomainProof, verifyIdentityDocument } from './identity.js';
import { deterministicRng } from './deterministic-rng.js';
import { identityFromPrivateKey } from './keys.js';
import { formatAddress, makeAddress } from './address.js';
import { sha256 } from './hash.js';
import { utf8 } from './bytes.js';

const alice = identityFromPrivateKey(sha256(utf8('identity-alice')));
const bob = identityFromPrivateKey(sha256(utf8('identity-bob')));
const rng = deterministicRng('identity-test');
const addr = formatAddress(makeAddress(alice.publicKey, 'alice', 'example.test'));

function doc() {
  return createIdentityDocument(
    alice.privateKey,
    {
      addresses: [addr],
      features: ['text', 'postage'],
      relays: [{ url: 'wss://relay.example.test' }],
      pricing: DEFAULT_PRICING,
      proofs: [createDomainProof(alice.privateKey, 'example.test', 1_800_000_000_000, rng)],
      updatedAt: 1_800_000_000,
    },
    rng,
  );
}

describe('identity documents', () => {
  it('signs and verifies a document with addresses, relays, pricing and a domain proof', () => {
    const d = doc();
    expect(d.type).toBe('lnmp-identity');
    expect(d.publicKey).toBe(alice.publicKey);
    expect(d.pricing).toEqual({ stranger: 100, acquaintance: 10, friend: 0, priority: 1000, surge: { enabled: true, multiplier: 2, threshold: 100 } });
    expect(verifyIdentityDocument(JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it('uses the design document\'s challenge format for domain proofs', () => {
    const p = createDomainProof(alice.privateKey, 'Example.Test', 1_800_000_000_000, rng);
    expect(p.challenge).toBe(`lnmp-verify:${alice.publicKey}:1800000000000`);
    expect(p.domain).toBe('example.test');
    expect(domainChallenge(alice.publicKey, 5)).toBe(`lnmp-verify:${alice.publicKey}:5`);
    expect(verifyDomainProof(p)).toBe(true);
    expect(verifyDomainProof(p, bob.publicKey)).toBe(false);
    expect(verifyDomainProof({ ...p, timestamp: 1 })).toBe(false);
    expect(verifyDomainProof({ ...p, signature: '00'.repeat(64) })).toBe(false);
    expect(verifyDomainProof('nonsense')).toBe(false);
  });

  it('rejects tampering, foreign addresses and foreign proofs with their codes', () => {
    const d = doc();
    expect(() => verifyIdentityDocument({ ...d, updatedAt: d.updatedAt + 1 })).toThrow(expect.objectContaining({ code: 'invalid_identity' }));
    expect(() => verifyIdentityDocument({ ...d, version: 2 })).toThrow(expect.objectContaining({ code: 'invalid_identity' }));
    const bobAddr = formatAddress(makeAddress(bob.publicKey, 'alice', 'example.test'));
    expect(() => createIdentityDocument(alice.privateKey, { ...d, addresses: [bobAddr] }, rng)).toThrow(expect.objectContaining({ code: 'invalid_identity' }));
    expect(() => createIdentityDocument(alice.privateKey, { ...d, addresses: ['not-an-address'] }, rng)).toThrow(expect.objectContaining({ code: 'invalid_identity' }));
    const bobProof = createDomainProof(bob.privateKey, 'example.test', 1, rng);
    expect(() => createIdentityDocument(alice.privateKey, { ...d, proofs: [bobProof] }, rng)).toThrow(expect.objectContaining({ code: 'invalid_proof' }));
  });
});

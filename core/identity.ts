// Identity documents (the design document's LNMPIdentity): a public key with its addresses,
// relays, pricing policy, features and proofs, signed by the key itself. Domain proofs use
// the design document's challenge `lnmp-verify:<pubkey>:<unix ms>`; the domain side of the
// proof (the challenge published under the domain) is checked by the discovery service.
import { z } from 'zod';
import { LnmpError } from './errors.js';
import { fromHex, toHex, utf8 } from './bytes.js';
import { sha256 } from './hash.js';
import { canonicalize } from './jcs.js';
import { ENVELOPE_VERSION, Limits } from './constants.js';
import { publicKeyHexOf, schnorrSign, schnorrVerify } from './secp256k1.js';
import { checksumMatches, normalizeHost, parseAddress } from './address.js';
import type { Rng } from './keys.js';
import { hex32, hex64, issuesText, relayUrl, satoshis, unixSeconds } from './schema-helpers.js';

export const PricingPolicySchema = z.strictObject({
  stranger: satoshis,
  acquaintance: satoshis,
  friend: satoshis,
  priority: satoshis,
  surge: z.strictObject({
    enabled: z.boolean(),
    multiplier: z.number().min(1).max(100),
    threshold: z.number().int().min(0),
  }),
});
export type PricingPolicy = z.infer<typeof PricingPolicySchema>;

/** The design document's defaults. */
export const DEFAULT_PRICING: PricingPolicy = {
  stranger: 100,
  acquaintance: 10,
  friend: 0,
  priority: 1000,
  surge: { enabled: true, multiplier: 2, threshold: 100 },
};

export const DomainProofSchema = z.strictObject({
  type: z.literal('domain'),
  domain: z.string().max(Limits.MAX_HOST_CHARS),
  publicKey: hex32,
  challenge: z.string().max(200),
  signature: hex64,
  /** Unix milliseconds, as in the challenge. */
  timestamp: z.number().int().min(0),
});
export type DomainProof = z.infer<typeof DomainProofSchema>;

export const RelayInfoSchema = z.strictObject({ url: relayUrl });

export const IdentityDocumentSchema = z.strictObject({
  type: z.literal('lnmp-identity'),
  version: z.literal(ENVELOPE_VERSION),
  publicKey: hex32,
  /** Lightning node public key (33-byte compressed, hex), when it differs from the identity. */
  lightningNode: z.string().regex(/^0[23][0-9a-f]{64}$/, 'expected a 33-byte compressed public key').optional(),
  addresses: z.array(z.string().max(400)).min(1).max(Limits.MAX_ADDRESSES_PER_IDENTITY),
  features: z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/)).max(Limits.MAX_FEATURES),
  relays: z.array(RelayInfoSchema).max(Limits.MAX_RELAYS),
  pricing: PricingPolicySchema,
  proofs: z.array(DomainProofSchema).max(Limits.MAX_PROOFS_PER_IDENTITY),
  updatedAt: unixSeconds,
  signature: hex64,
});
export type IdentityDocument = z.infer<typeof IdentityDocumentSchema>;
export type UnsignedIdentityDocument = Omit<IdentityDocument, 'signature' | 'type' | 'version' | 'publicKey'>;

function documentHash(doc: Omit<IdentityDocument, 'signature'>): Uint8Array {
  return sha256(utf8(canonicalize(doc)));
}

export function domainChallenge(publicKeyHex: string, timestampMs: number): string {
  return `lnmp-verify:${publicKeyHex}:${timestampMs}`;
}

export function createDomainProof(privateKey: Uint8Array, domain: string, timestampMs: number, rng: Rng): DomainProof {
  const publicKey = publicKeyHexOf(privateKey);
  const challenge = domainChallenge(publicKey, timestampMs);
  const signature = toHex(schnorrSign(sha256(utf8(challenge)), privateKey, rng(32)));
  return { type: 'domain', domain: normalizeHost(domain), publicKey, challenge, signature, timestamp: timestampMs };
}

/** Checks the proof's signature and challenge; returns false (never throws) when it fails. */
export function verifyDomainProof(proof: unknown, expectedPublicKey?: string): boolean {
  const r = DomainProofSchema.safeParse(proof);
  if (!r.success) return false;
  const p = r.data;
  if (expectedPublicKey !== undefined && p.publicKey !== expectedPublicKey) return false;
  if (p.challenge !== domainChallenge(p.publicKey, p.timestamp)) return false;
  try {
    normalizeHost(p.domain);
  } catch {
    return false;
  }
  return schnorrVerify(fromHex(p.signature, 64), sha256(utf8(p.challenge)), fromHex(p.publicKey, 32));
}

export function createIdentityDocument(privateKey: Uint8Array, fields: UnsignedIdentityDocument, rng: Rng): IdentityDocument {
  const { addresses, features, relays, pricing, proofs, updatedAt, lightningNode } = fields;
  const unsigned = {
    type: 'lnmp-identity' as const,
    version: ENVELOPE_VERSION,
    publicKey: publicKeyHexOf(privateKey),
    ...(lightningNode !== undefined ? { lightningNode } : {}),
    addresses,
    features,
    relays,
    pricing,
    proofs,
    updatedAt,
  };
  const signature = toHex(schnorrSign(documentHash(unsigned), privateKey, rng(32)));
  return verifyIdentityDocument({ ...unsigned, signature });
}

/**
 * Validates and verifies an identity document: schema, signature, every address checksum and
 * every proof. Throws invalid_identity (or invalid_proof) with the reason.
 */
export function verifyIdentityDocument(input: unknown): IdentityDocument {
  const r = IdentityDocumentSchema.safeParse(input);
  if (!r.success) throw new LnmpError('invalid_identity', issuesText(r.error));
  const doc = r.data;
  const { signature, ...unsigned } = doc;
  if (!schnorrVerify(fromHex(signature, 64), documentHash(unsigned), fromHex(doc.publicKey, 32))) {
    throw new LnmpError('invalid_identity', 'signature does not verify under publicKey');
  }
  for (const a of doc.addresses) {
    let ok: boolean;
    try {
      ok = checksumMatches(parseAddress(a), doc.publicKey);
    } catch (cause) {
      throw new LnmpError('invalid_identity', `address ${JSON.stringify(a)} is malformed`, { cause });
    }
    if (!ok) throw new LnmpError('invalid_identity', `address ${a} does not belong to publicKey`);
  }
  for (const p of doc.proofs) {
    if (!verifyDomainProof(p, doc.publicKey)) throw new LnmpError('invalid_proof', `proof for ${p.domain} does not verify`);
  }
  return doc;
}

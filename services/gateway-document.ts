// The gateway's own identity document (LNMP discovery): its public key, its LNMP address
// `gateway#<checksum>@<hostname>`, a domain proof for the mail domain it serves, its relays
// and the `smtp-gateway` feature. Peers that receive mail the gateway converted from SMTP
// check the envelope signature against this key.
import { createDomainProof, createIdentityDocument, DEFAULT_PRICING, formatAddress, makeAddress, type Identity, type IdentityDocument, type Rng } from '../core/index.js';

/** The username of the gateway's own LNMP address. */
export const GATEWAY_USERNAME = 'gateway';
/** Feature flag: this identity converts legacy mail and attests to how it arrived. */
export const SMTP_GATEWAY_FEATURE = 'smtp-gateway';

export function gatewayIdentityDocument(
  identity: Identity,
  opts: { hostname: string; domain: string; relays: readonly string[]; nowMs: number; rng: Rng },
): IdentityDocument {
  return createIdentityDocument(
    identity.privateKey,
    {
      addresses: [formatAddress(makeAddress(identity.publicKey, GATEWAY_USERNAME, opts.hostname))],
      features: [SMTP_GATEWAY_FEATURE],
      relays: opts.relays.map((url) => ({ url })),
      pricing: DEFAULT_PRICING,
      proofs: [createDomainProof(identity.privateKey, opts.domain, opts.nowMs, opts.rng)],
      updatedAt: Math.floor(opts.nowMs / 1000),
    },
    opts.rng,
  );
}

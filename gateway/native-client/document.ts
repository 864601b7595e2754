// The identity document a native client's domain serves for it at
// `<document URL>/users/<domain>/<name>` (services/lnmp-directory.ts): its address and relays,
// signed by its own key, so senders can discover it.
import { createIdentityDocument, DEFAULT_PRICING, type IdentityDocument, type Rng } from '../../core/index.js';
import type { ClientKey } from './key-file.js';

export const CLIENT_FEATURES = ['text'] as const;

export function clientIdentityDocument(key: ClientKey, nowMs: number, rng: Rng): IdentityDocument {
  return createIdentityDocument(
    key.privateKey,
    { addresses: [key.address], features: [...CLIENT_FEATURES], relays: key.relays.map((url) => ({ url })), pricing: DEFAULT_PRICING, proofs: [], updatedAt: Math.floor(nowMs / 1000) },
    rng,
  );
}

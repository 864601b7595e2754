// The gateway's own LNMP identity. Created on first start by whichever gateway process gets
// there first (the row is unique), then shared by every process that holds the same gateway
// secret; the private key is stored only wrapped by a key derived from that secret.
import { hkdfSha256, identityFromPrivateKey, isValidPrivateKey, publicKeyHexOf, utf8, type Identity, type Rng } from '../core/index.js';
import type { Db } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { boxOpen, boxSeal } from './secret-box.js';

const CONTEXT = 'gateway-identity';
/** A gateway secret shorter than this is refused: it is the only thing protecting the key. */
export const MIN_GATEWAY_SECRET_BYTES = 32;

function wrappingKey(secret: Uint8Array): Uint8Array {
  if (secret.length < MIN_GATEWAY_SECRET_BYTES) throw new ServiceError('invalid_secret', `the gateway secret needs at least ${MIN_GATEWAY_SECRET_BYTES} bytes`);
  return hkdfSha256(secret, new Uint8Array(0), utf8('lnmp-gateway/v1/gateway-identity'), 32);
}

/**
 * Loads the gateway identity, creating it if the database has none. Concurrent first starts
 * agree on one key (the first insert wins; the others load it). A wrong secret gives
 * `integrity`, never a second identity.
 */
export async function loadOrCreateGatewayIdentity(db: Db, secret: Uint8Array, rng: Rng): Promise<Identity> {
  const key = wrappingKey(secret);
  const existing = await db.query<{ public_key: string; wrapped: Uint8Array }>('SELECT public_key, wrapped FROM gateway_identity WHERE id = 1');
  if (!existing[0]) {
    let candidate = rng(32);
    while (!isValidPrivateKey(candidate)) candidate = rng(32);
    await db.query('INSERT INTO gateway_identity (id, public_key, wrapped) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING', [
      publicKeyHexOf(candidate), boxSeal(key, candidate, CONTEXT, rng),
    ]);
    candidate.fill(0);
  }
  const [row] = await db.query<{ public_key: string; wrapped: Uint8Array }>('SELECT public_key, wrapped FROM gateway_identity WHERE id = 1');
  const identity = identityFromPrivateKey(boxOpen(key, row!.wrapped, CONTEXT));
  if (identity.publicKey !== row!.public_key) throw new ServiceError('integrity', 'the stored gateway key does not match its public key');
  return identity;
}

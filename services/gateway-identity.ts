// The gateway's own LNMP identity. Created on first start by whichever gateway process gets
// there first (the row is unique), then shared by every process that holds the same gateway
// secret; the private key is stored only wrapped by a key derived from that secret.
import { identityFromPrivateKey, isValidPrivateKey, publicKeyHexOf, type Identity, type Rng } from '../core/index.js';
import type { Db } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import { boxOpen, boxSeal } from './secret-box.js';

const CONTEXT = 'gateway-identity';

/**
 * Loads the gateway identity, creating it if the database has none. Concurrent first starts
 * agree on one key (the first insert wins; the others load it). A wrong secret gives
 * `integrity`, never a second identity.
 */
export async function loadOrCreateGatewayIdentity(db: Db, secret: Uint8Array, rng: Rng): Promise<Identity> {
  const key = gatewaySubkey(secret, 'gateway-identity');
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
  let privateKey: Uint8Array;
  try {
    privateKey = boxOpen(key, row!.wrapped, CONTEXT);
  } catch (cause) {
    throw new ServiceError(
      'integrity',
      'the gateway secret does not open the gateway identity stored in the database: every process of a deployment needs the same secret (LNMP_GATEWAY_SECRET, or the same gateway.secret file)',
      { cause },
    );
  }
  const identity = identityFromPrivateKey(privateKey);
  if (identity.publicKey !== row!.public_key) throw new ServiceError('integrity', 'the stored gateway key does not match its public key');
  return identity;
}

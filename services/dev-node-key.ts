// The dev Lightning backend's node key: created once, kept in the database wrapped under a
// gateway-secret key (table dev_lightning_node, migration 008), so every process of a
// deployment signs invoices as the same node and the key is never stored in clear.
import type { Rng } from '../core/index.js';
import { generateNodeKey } from '../lightning/node-key.js';
import type { Db } from '../storage/db.js';
import { gatewaySubkey } from './gateway-keys.js';
import { boxOpen, boxSeal } from './secret-box.js';

const CONTEXT = 'dev-lightning-node-key';

export async function loadOrCreateDevNodeKey(db: Db, gatewaySecret: Uint8Array, rng: Rng): Promise<Uint8Array> {
  const key = gatewaySubkey(gatewaySecret, 'dev-lightning');
  const fresh = generateNodeKey(rng);
  // Two processes starting at once: the first insert wins and both read it back.
  await db.query('INSERT INTO dev_lightning_node (id, wrapped) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [boxSeal(key, fresh, CONTEXT, rng)]);
  const [row] = await db.query<{ wrapped: Uint8Array }>('SELECT wrapped FROM dev_lightning_node WHERE id = 1');
  return boxOpen(key, row!.wrapped, CONTEXT);
}

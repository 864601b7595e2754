// Opens the configured Lightning backend: `dev` (embedded, its node key kept wrapped in the
// database) or `lnd` (gRPC; bad credentials or an unreachable node stop the start with one line).
import type { Config } from '../../config/schema.js';
import type { LightningBackend } from '../../lightning/backend.js';
import { DevLightningBackend } from '../../lightning/dev-backend.js';
import { loadOrCreateDevNodeKey } from '../../services/dev-node-key.js';
import { systemRng } from '../../services/random.js';
import type { Db } from '../../storage/db.js';
import type { Logger } from '../log.js';

export async function openLightning(config: Config, db: Db, gatewaySecret: Uint8Array, logger: Logger): Promise<LightningBackend> {
  const onError = (err: unknown) => logger.warn('lightning backend error', { err });
  if (config.lightning.backend === 'lnd') {
    // Loaded only for lnd: the gRPC client is a large part of start-up time otherwise.
    const { openLndBackend } = await import('../../lightning/lnd-backend.js');
    const backend = await openLndBackend(config.lightning.lnd, { onError });
    const info = await backend.nodeInfo();
    logger.info('lightning backend', { backend: 'lnd', network: info.network, publicKey: info.publicKey });
    return backend;
  }
  const nodeKey = await loadOrCreateDevNodeKey(db, gatewaySecret, systemRng);
  const backend = new DevLightningBackend({ db, nodeKey, random: systemRng, onListenerError: onError });
  logger.info('lightning backend', { backend: 'dev', network: 'regtest', publicKey: (await backend.nodeInfo()).publicKey });
  return backend;
}

// Keys the gateway derives from its secret (config `gatewaySecret`, or the generated
// `<dataDir>/gateway.secret`): one HKDF subkey per purpose, so no two uses share a key.
import { hkdfSha256, utf8 } from '../core/index.js';
import { ServiceError } from './errors.js';

/** A gateway secret shorter than this is refused: it is the only thing protecting these keys. */
export const MIN_GATEWAY_SECRET_BYTES = 32;

export type GatewayKeyPurpose = 'gateway-identity' | 'contacts' | 'outbound-queue' | 'dkim' | 'postage' | 'dev-lightning' | 'mail-import' | 'vacation';

export function gatewaySubkey(secret: Uint8Array, purpose: GatewayKeyPurpose): Uint8Array {
  if (secret.length < MIN_GATEWAY_SECRET_BYTES) throw new ServiceError('invalid_secret', `the gateway secret needs at least ${MIN_GATEWAY_SECRET_BYTES} bytes`);
  return hkdfSha256(secret, new Uint8Array(0), utf8(`lnmp-gateway/v1/${purpose}`), 32);
}

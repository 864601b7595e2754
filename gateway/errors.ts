// The gateway process's error catalogue: failures of the process itself (not of a
// request), each with a stable code. The CLI reports them in one line and exits 1.
import { CodedError } from '../core/coded-error.js';

export const GATEWAY_ERRORS = {
  listen_failed: 'a listener could not bind its address and port',
  tls_unavailable: 'the TLS certificate or key cannot be read or written',
  secret_unavailable: 'the gateway secret file cannot be read, written or is malformed',
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export class GatewayError extends CodedError<GatewayErrorCode> {
  override readonly name = 'GatewayError';
}

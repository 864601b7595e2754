// The Lightning error catalogue. Every failure of a backend or of invoice decoding is a
// LightningError with a stable code; front-ends map codes to replies in one place (an HTTP
// status on the pay page, a CLI exit line, a log warning while mail waits in the Screener).
import { CodedError } from '../core/coded-error.js';

export const LightningErrorCodes = {
  // Decoding a BOLT11 invoice (lightning/bolt11.ts).
  bolt11_malformed: 'not a well-formed BOLT11 invoice',
  bolt11_invalid_amount: 'the amount in the invoice prefix is not valid',
  bolt11_bad_signature: 'the invoice signature does not verify',
  bolt11_duplicate_field: 'a field that must appear once appears more than once',
  bolt11_missing_field: 'a required field is missing',
  bolt11_unknown_feature: 'the invoice requires a feature this gateway does not know',
  bolt11_wrong_network: 'the invoice is for another network',
  bolt11_expired: 'the invoice has expired',
  bolt11_amount_missing: 'the invoice has no amount',
  bolt11_amount_mismatch: 'the invoice amount is not the expected amount',
  // Backends (lightning/backend.ts).
  invalid_argument: 'an argument has the wrong form',
  invoice_exists: 'an invoice with this payment hash already exists',
  invoice_not_found: 'no invoice with this payment hash',
  invoice_wrong_state: 'the invoice is not in a state that allows this',
  invoice_expired: 'the invoice has expired',
  preimage_mismatch: 'the preimage does not hash to the payment hash',
  payment_failed: 'the payment could not be made',
  signing_failed: 'the node key produced an invalid signature',
  unsupported: 'this backend does not offer the operation',
  backend_unavailable: 'the Lightning node cannot be reached',
  // The lnd backend (lightning/lnd-backend.ts, lnd-credentials.ts).
  backend_unreachable: 'the Lightning node cannot be reached',
  backend_unauthenticated: 'the Lightning node refused the credentials',
  lnd_config_invalid: 'a lightning.lnd setting is not usable',
  backend_error: 'the Lightning node reported an unexpected error',
} as const;

export type LightningErrorCode = keyof typeof LightningErrorCodes;

export class LightningError extends CodedError<LightningErrorCode> {
  override readonly name = 'LightningError';

  /** `detail` replaces the catalogue text as the message, which stays human-readable. */
  constructor(code: LightningErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ?? LightningErrorCodes[code], options);
  }
}

export function isLightningError(err: unknown, code?: LightningErrorCode): err is LightningError {
  return err instanceof LightningError && (code === undefined || err.code === code);
}

// Errors of the relay client side, one catalogue with stable codes. A relay's own refusal is
// `rejected` and carries the relay's reason string unchanged (`reason`, e.g.
// "invalid: bad_signature: …"), so callers can act on its machine-readable prefix.
import { CodedError } from '../core/coded-error.js';

export const RelayClientErrorCodes = {
  rejected: 'the relay answered ERROR; `reason` is its reason string',
  timeout: 'the relay did not answer within the ack or query timeout',
  closed: 'the client or pool was closed before the relay answered',
  invalid: 'refused before sending: a malformed filter or envelope, or one over the size limit',
  unknown_relay: 'the pool has no client for this relay URL',
  unreachable: 'no relay of the pool accepted the envelope',
} as const;

export type RelayClientErrorCode = keyof typeof RelayClientErrorCodes;

export class RelayClientError extends CodedError<RelayClientErrorCode> {
  override readonly name = 'RelayClientError';

  constructor(
    code: RelayClientErrorCode,
    message: string,
    readonly details: { readonly relay?: string; readonly reason?: string; readonly invoice?: { bolt11: string; amount: number; expiresAt: number } } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  /** The relay's reason string of a `rejected` error. */
  get reason(): string | undefined {
    return this.details.reason;
  }

  get relay(): string | undefined {
    return this.details.relay;
  }
}

/**
 * Reason prefixes after which publishing the same envelope to the same relay again cannot
 * succeed: the envelope itself is refused, or the relay wants a fee this side cannot pay.
 */
const PERMANENT_PREFIXES = ['invalid:', 'payment-required:'];

export function isPermanentRejection(err: unknown): boolean {
  return err instanceof RelayClientError && (err.code === 'invalid' || (err.code === 'rejected' && PERMANENT_PREFIXES.some((p) => err.reason?.startsWith(p))));
}

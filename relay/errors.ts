// The relay error catalogue. Handlers throw RelayError with a stable code; the connection
// turns each into one ERROR frame whose `reason` starts with the code's machine-readable
// prefix (`invalid: …`), in one place (`errorReason`). Anything else is `error: internal`.
import { CodedError } from '../core/coded-error.js';
import { StorageError } from '../storage/errors.js';

export const RelayErrorCodes = {
  invalid: 'the frame or the envelope it carries is malformed or fails verification',
  duplicate: 'the relay already stores an envelope with this id',
  rate_limited: 'too many frames of this kind from this address or key',
  payment_required: 'the relay asks a fee for this envelope (an INVOICE frame precedes the error)',
  auth_required: 'the filter reads envelopes of a key this connection has not authenticated as',
  auth_failed: 'the AUTH frame does not prove ownership of the key',
  limit: 'a per-connection limit is reached',
  error: 'the relay could not complete the command (storage unavailable or internal failure)',
} as const;

export type RelayErrorCode = keyof typeof RelayErrorCodes;

/** The prefix each code carries on the wire: the code with `-` for `_`. */
export function reasonPrefix(code: RelayErrorCode): string {
  return code.replace('_', '-');
}

export class RelayError extends CodedError<RelayErrorCode> {
  override readonly name = 'RelayError';

  /** `detail` is the human part of the reason, after the prefix. */
  constructor(
    code: RelayErrorCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${reasonPrefix(code)}: ${detail}`, options);
  }
}

/** The `reason` of the ERROR frame for any failure of a handler. */
export function errorReason(err: unknown): string {
  if (err instanceof RelayError) return err.message;
  if (err instanceof StorageError && err.code === 'storage_unavailable') return 'error: storage unavailable';
  return 'error: internal';
}

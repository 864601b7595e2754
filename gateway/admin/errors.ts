// The admin socket's error catalogue: codes of protocol failures sent in error replies,
// beside the service and storage codes that pass through unchanged, and the client's own.
import { CodedError } from '../../core/coded-error.js';

export const ADMIN_ERRORS = {
  bad_request: 'the line is not JSON or not a valid request',
  unknown_op: 'no such operation',
  line_too_long: 'the request line is longer than the server accepts',
  busy: 'too many admin connections',
  internal_error: 'the operation failed; see the gateway log',
  admin_unreachable: 'the admin socket did not answer',
  admin_protocol: 'the admin socket sent something that is not a reply',
} as const;

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

export function isAdminErrorCode(code: string): code is AdminErrorCode {
  return Object.hasOwn(ADMIN_ERRORS, code);
}

export class AdminError extends CodedError<AdminErrorCode> {
  override readonly name = 'AdminError';

  constructor(code: AdminErrorCode, message?: string, options?: { cause?: unknown }) {
    super(code, message ?? ADMIN_ERRORS[code], options);
  }
}

// What the `lightning` package and gRPC report, read once. The package rejects with arrays
// `[status, 'CamelCaseMessage', { err }]` whose `err` is the gRPC error (code and LND's
// `details` text); connection failures and refused macaroons are the same for every call,
// so they are mapped here, and each backend method maps the remaining LND texts it expects.
import { LightningError } from './errors.js';

/** gRPC status codes used here (grpc/status.h). */
export const GRPC = { CANCELLED: 1, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

export interface LndFailure {
  /** The package's own message, e.g. 'UnexpectedLookupInvoiceErr'. */
  message: string;
  /** gRPC status code, when the failure came from the node. */
  grpcCode?: number;
  /** LND's error text (gRPC details), e.g. 'unable to locate invoice'. */
  details?: string;
}

interface GrpcLike {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

function asGrpc(value: unknown): GrpcLike | undefined {
  return typeof value === 'object' && value !== null ? (value as GrpcLike) : undefined;
}

/** Reads any rejection of the package (array, gRPC error or Error) into one shape. */
export function readFailure(err: unknown): LndFailure {
  if (Array.isArray(err)) {
    const message = typeof err[1] === 'string' ? err[1] : 'UnexpectedError';
    const detail = asGrpc(err[2]) as { err?: unknown } | undefined;
    const inner = asGrpc(detail?.err);
    return { message, ...grpcPart(inner) };
  }
  const grpc = asGrpc(err);
  const message = typeof grpc?.message === 'string' ? grpc.message : String(err);
  return { message, ...grpcPart(grpc) };
}

function grpcPart(grpc: GrpcLike | undefined): { grpcCode?: number; details?: string } {
  if (!grpc || typeof grpc.code !== 'number') return {};
  return { grpcCode: grpc.code, ...(typeof grpc.details === 'string' ? { details: grpc.details } : {}) };
}

const UNREACHABLE_MESSAGES = new Set(['FailedToConnectToDaemon', 'LndLocked']);

/**
 * The failures every call shares: the node cannot be reached (or its TLS does not verify),
 * or it refused the macaroon. Undefined for anything else, which the caller maps.
 */
export function connectionError(failure: LndFailure, socket: string, cause: unknown): LightningError | undefined {
  const { grpcCode, details } = failure;
  if (grpcCode === GRPC.UNAUTHENTICATED || (details !== undefined && /macaroon|verification failed/i.test(details))) {
    return new LightningError(
      'backend_unauthenticated',
      `LND at ${socket} refused the macaroon (${details ?? 'unauthenticated'}); check lightning.lnd.macaroon`,
      { cause },
    );
  }
  if (failure.message === 'LndLocked') {
    return new LightningError('backend_unreachable', `LND at ${socket} is locked: unlock its wallet`, { cause });
  }
  if (grpcCode === GRPC.UNAVAILABLE || grpcCode === GRPC.DEADLINE_EXCEEDED || UNREACHABLE_MESSAGES.has(failure.message)) {
    return new LightningError('backend_unreachable', `LND at ${socket} cannot be reached (${details ?? failure.message})`, { cause });
  }
  return undefined;
}

/** Anything not otherwise mapped: the package's message and LND's text, for the operator. */
export function unexpectedError(failure: LndFailure, what: string, cause: unknown): LightningError {
  const code = failure.grpcCode === undefined ? '' : ` (gRPC ${failure.grpcCode})`;
  return new LightningError('backend_error', `LND failed to ${what}: ${failure.details ?? failure.message}${code}`, { cause });
}

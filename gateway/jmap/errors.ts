// The JMAP front-end's error catalogue. Request-level errors are RFC 7807 problem details
// (RFC 8620 §3.6.1) with their HTTP status; method-level errors (§3.6.2) are thrown as
// MethodError and become an ["error", {...}] response; SetErrors (§5.3) are per object.
// Service errors reach JMAP types only through `methodErrorOf` and `setErrorOf`.
import { isServiceError } from '../../services/errors.js';
import type { HttpResponse } from '../http/types.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Request-level errors: the type URN and status of each. */
export const REQUEST_ERRORS = {
  unknownCapability: { type: 'urn:ietf:params:jmap:error:unknownCapability', status: 400 },
  notJSON: { type: 'urn:ietf:params:jmap:error:notJSON', status: 400 },
  notRequest: { type: 'urn:ietf:params:jmap:error:notRequest', status: 400 },
  limit: { type: 'urn:ietf:params:jmap:error:limit', status: 400 },
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

export function problemResponse(status: number, body: Readonly<Record<string, unknown>>, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return { status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** A 400 that is no JMAP request error (a bad push query, a missing subprotocol): plain problem details. */
export function badRequest(detail: string): HttpResponse {
  return problemResponse(400, { type: 'about:blank', status: 400, detail });
}

/** A request-level error as data, before it becomes an HTTP response or a WebSocket RequestError. */
export interface RequestProblem {
  readonly code: RequestErrorCode;
  readonly detail: string;
  /** The capability limit a `limit` error names. */
  readonly limit?: string;
  readonly status?: number;
}

/** The problem details (RFC 7807) of a request-level error. */
export function problemOf(problem: RequestProblem): { type: string; status: number; detail: string; limit?: string } {
  const { type, status } = REQUEST_ERRORS[problem.code];
  return { type, status: problem.status ?? status, detail: problem.detail, ...(problem.limit ? { limit: problem.limit } : {}) };
}

/** A request-level error; `limit` names the capability limit for `limit` (and may change the status). */
export function requestError(code: RequestErrorCode, detail: string, opts: { limit?: string; status?: number } = {}): HttpResponse {
  const body = problemOf({ code, detail, ...opts });
  return problemResponse(body.status, body);
}

/** Method-level error types (RFC 8620 §3.6.2, §5, RFC 8621). */
export type MethodErrorType =
  | 'unknownMethod'
  | 'invalidArguments'
  | 'invalidResultReference'
  | 'forbidden'
  | 'accountNotFound'
  | 'accountNotSupportedByMethod'
  | 'accountReadOnly'
  | 'serverFail'
  | 'serverUnavailable'
  | 'stateMismatch'
  | 'cannotCalculateChanges'
  | 'requestTooLarge'
  | 'unsupportedFilter'
  | 'unsupportedSort'
  | 'anchorNotFound'
  // /queryChanges (RFC 8620 §5.6).
  | 'tooManyChanges'
  // /copy (RFC 8620 §5.4, §6.3).
  | 'fromAccountNotFound';

export class MethodError extends Error {
  override readonly name = 'MethodError';
  readonly type: MethodErrorType;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(type: MethodErrorType, description?: string, extra: Readonly<Record<string, unknown>> = {}) {
    super(description ?? type);
    this.type = type;
    this.extra = extra;
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, ...(this.message !== this.type ? { description: this.message } : {}), ...this.extra };
  }
}

/** Per-object errors of /set (RFC 8620 §5.3, RFC 8621 §4.6). */
export type SetErrorType =
  | 'forbidden' | 'overQuota' | 'tooLarge' | 'rateLimit' | 'notFound' | 'invalidPatch' | 'willDestroy' | 'invalidProperties' | 'singleton' | 'tooManyKeywords' | 'tooManyMailboxes'
  | 'blobNotFound'
  // Mailbox/set (RFC 8621 §2.5).
  | 'mailboxHasChild' | 'mailboxHasEmail'
  // Email/import (RFC 8621 §4.8).
  | 'alreadyExists'
  // EmailSubmission/set (RFC 8621 §7.5) and Identity/set (§6.3).
  | 'invalidEmail' | 'tooManyRecipients' | 'noRecipients' | 'invalidRecipients' | 'forbiddenMailFrom' | 'forbiddenFrom' | 'forbiddenToSend' | 'cannotUnsend';

export interface SetError {
  readonly type: SetErrorType;
  readonly description?: string;
  readonly properties?: readonly string[];
  /** alreadyExists: the Email that already has this content. */
  readonly existingId?: string;
  /** blobNotFound: the blob ids not found. */
  readonly notFound?: readonly string[];
  /** tooManyRecipients: the most recipients one submission may have. */
  readonly maxRecipients?: number;
  /** invalidRecipients: the recipient addresses refused. */
  readonly invalidRecipients?: readonly string[];
}

/** The SetError of a service error met while changing one object, or undefined for anything unexpected. */
export function setErrorOf(err: unknown): SetError | undefined {
  if (isServiceError(err, 'message_not_found') || isServiceError(err, 'mailbox_not_found')) return { type: 'notFound' };
  if (isServiceError(err, 'quota_exceeded')) return { type: 'overQuota' };
  if (isServiceError(err, 'too_large')) return { type: 'tooLarge' };
  return undefined;
}

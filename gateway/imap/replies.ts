// The one mapping from service and storage errors to IMAP response codes (RFC 5530). A hook
// answers NO with a code by handing the engine the code as a string; the engine writes
// `<tag> NO [<CODE>] <command> completed`: the code is ours, the text is the engine's.
import { isServiceError, type ServiceErrorCode } from '../../services/errors.js';
import { StorageError } from '../../storage/errors.js';
import type { Logger } from '../log.js';
import type { HookResult } from './engine.js';

const CODES: Partial<Record<ServiceErrorCode, string>> = {
  mailbox_not_found: 'NONEXISTENT',
  mailbox_exists: 'ALREADYEXISTS',
  mailbox_protected: 'CANNOT',
  invalid_mailbox_name: 'CANNOT',
  message_not_found: 'NONEXISTENT',
  quota_exceeded: 'OVERQUOTA',
  too_large: 'TOOBIG',
  session_expired: 'EXPIRED',
  integrity: 'CORRUPTION',
};

/** The response code for a failure; unexpected failures are logged and answered UNAVAILABLE. */
export function codeForError(logger: Logger, what: string, err: unknown): string {
  if (isServiceError(err)) {
    const code = CODES[err.code];
    if (code !== undefined) return code;
  }
  const level = err instanceof StorageError ? 'warn' : 'error';
  logger[level](`${what} failed`, { err });
  return 'UNAVAILABLE';
}

/**
 * Runs an async hook body and answers the engine's callback: the body's result, or the code
 * for its error. Keeps every hook free of callback plumbing.
 */
export function answer<T extends unknown[]>(
  logger: Logger,
  what: string,
  body: () => Promise<[HookResult, ...T] | HookResult>,
  callback: (err: Error | null, result?: HookResult, ...rest: Partial<T>) => void,
): void {
  body().then(
    (result) => {
      if (Array.isArray(result)) callback(null, ...(result as [HookResult, ...Partial<T>]));
      else callback(null, result, ...([] as unknown as Partial<T>));
    },
    (err: unknown) => callback(null, codeForError(logger, what, err), ...([] as unknown as Partial<T>)),
  );
}

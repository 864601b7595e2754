// The storage error catalogue. Front-ends map these codes once: storage_unavailable becomes
// SMTP 451 4.3.0, IMAP NO [UNAVAILABLE], JMAP serverUnavailable.
import { CodedError } from '../core/coded-error.js';

export const StorageErrorCodes = {
  storage_unavailable: 'the database cannot be reached',
  storage_conflict: 'a concurrent change conflicted (unique or serialization failure)',
  storage_corrupt: 'stored data is not in the expected form',
  storage_failed: 'the database rejected the statement',
} as const;

export type StorageErrorCode = keyof typeof StorageErrorCodes;

// SQLSTATE classes: 08 connection exception, 57P0x shutdown, 53 insufficient resources.
const UNAVAILABLE = /^(08|57P0|53)/;
const CONFLICT = /^(23505|40001|40P01)$/;

export class StorageError extends CodedError<StorageErrorCode> {
  override readonly name = 'StorageError';
  /** PostgreSQL SQLSTATE, when the server gave one. */
  readonly sqlState: string | undefined;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown; sqlState?: string }) {
    super(code, message, options);
    this.sqlState = options?.sqlState;
  }

  /** Classifies a driver error; a StorageError or a domain error passes through unchanged. */
  static from(err: unknown): Error {
    if (err instanceof StorageError) return err;
    const sqlState = (err as { code?: unknown })?.code;
    if (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState)) {
      const code: StorageErrorCode = UNAVAILABLE.test(sqlState) ? 'storage_unavailable' : CONFLICT.test(sqlState) ? 'storage_conflict' : 'storage_failed';
      return new StorageError(code, (err as Error).message, { cause: err, sqlState });
    }
    const netCode = (err as { code?: unknown })?.code;
    if (typeof netCode === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND)$/.test(netCode)) {
      return new StorageError('storage_unavailable', (err as Error).message, { cause: err });
    }
    if (err instanceof Error && /Connection terminated|connection.*closed|Client has encountered a connection error|PGlite is closed/i.test(err.message)) {
      return new StorageError('storage_unavailable', err.message, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

// Blobs as JMAP sees them (RFC 8620 §6): uploads, sealed under the uploader's mailbox key the
// moment they arrive and kept at least UPLOAD_KEEP_MS while no message holds them; the bytes of
// any blob of an account (an upload or a stored message); and Email/import (RFC 8621 §4.8),
// which makes messages of a blob in place, without copying it.
import type { Rng } from '../core/index.js';
import { headerFields } from '../converters/index.js';
import { isInternetMessage } from '../converters/message-check.js';
import type { Db, Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { nextModseq, NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import { summarize } from '../converters/message-summary.js';
import { openBlob, sealSummary, sealWithMailboxKey, SEAL_MAILBOX_KEY } from './message-crypto.js';
import { allocateUids, chargeQuota, checkFlags, MAX_MESSAGE_BYTES } from './message-service.js';
import { assignThread } from './threading.js';
import type { UnlockedAccount } from './unlocked-account.js';

/** RFC 8620 §6: an unreferenced upload is kept at least one hour after it arrived. */
export const UPLOAD_KEEP_MS = 60 * 60 * 1000;
/** Bytes of uploads no message holds yet, per account; past it an upload is refused. */
export const MAX_PENDING_UPLOAD_BYTES = 4 * MAX_MESSAGE_BYTES;
/** Expired uploads the sweep that runs with each upload drops at most. */
export const UPLOAD_SWEEP_BATCH = 100;

/** Blobs a message holds, or that are uploads: what the account may read, copy and import. */
const VISIBLE = '(b.uploaded_at IS NOT NULL OR EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id))';

export interface ImportedMessage {
  readonly blobId: number;
  readonly threadId: number;
  readonly size: number;
  /** The account modseq the import took. */
  readonly modseq: number;
}

export class BlobService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #sink: ChangeSink;
  readonly #now: () => number;

  constructor(db: Db, opts: { rng: Rng; notifier?: ChangeSink; now?: () => number }) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Stores an upload, sealed, and returns its blob id. Refused (`quota_exceeded`) when the
   * account's unused uploads would pass MAX_PENDING_UPLOAD_BYTES or, with the stored mail, its quota.
   */
  async upload(account: UnlockedAccount, bytes: Uint8Array): Promise<{ blobId: number; size: number }> {
    if (bytes.length > MAX_MESSAGE_BYTES) throw new ServiceError('too_large', `uploads are limited to ${MAX_MESSAGE_BYTES} bytes`);
    await this.purgeExpired();
    const sealed = sealWithMailboxKey(account, account.userId, bytes, this.#rng);
    const blobId = await this.#db.transaction(async (tx) => {
      // The user row lock makes concurrent uploads of one account count each other.
      const [u] = await tx.query<{ used_bytes: number; quota_bytes: number }>('SELECT used_bytes, quota_bytes FROM users WHERE id = $1 FOR UPDATE', [account.userId]);
      const pending = await pendingBytes(tx, account.userId);
      if (pending + bytes.length > MAX_PENDING_UPLOAD_BYTES) {
        throw new ServiceError('quota_exceeded', `uploads not yet used are limited to ${MAX_PENDING_UPLOAD_BYTES} bytes per account`);
      }
      if (u!.used_bytes + pending + bytes.length > u!.quota_bytes) throw new ServiceError('quota_exceeded', 'the upload would not fit in the mailbox quota');
      const [row] = await tx.query<{ id: number }>(
        'INSERT INTO blobs (user_id, seal, data, size, uploaded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [account.userId, SEAL_MAILBOX_KEY, sealed, bytes.length, new Date(this.#now())],
      );
      return row!.id;
    });
    return { blobId, size: bytes.length };
  }

  /**
   * The bytes of a blob of the account: an upload (used or not) or one a message holds;
   * undefined for any other id, another account's included.
   */
  async read(account: UnlockedAccount, blobId: number): Promise<Uint8Array | undefined> {
    const [b] = await this.#db.query<{ seal: number; data: Uint8Array }>(`SELECT seal, data FROM blobs b WHERE b.id = $2 AND b.user_id = $1 AND ${VISIBLE}`, [account.userId, blobId]);
    return b ? openBlob(b.seal, b.data, account.userId, account, new Map()) : undefined;
  }

  /** Which of `blobIds` the account may read, with their sizes. */
  async sizes(account: UnlockedAccount, blobIds: readonly number[]): Promise<Map<number, number>> {
    if (blobIds.length === 0) return new Map();
    const rows = await this.#db.query<{ id: number; size: number }>(`SELECT id, size FROM blobs b WHERE b.user_id = $1 AND b.id = ANY($2::int8[]) AND ${VISIBLE}`, [account.userId, blobIds]);
    return new Map(rows.map((r) => [r.id, r.size]));
  }

  /**
   * Email/import: messages of blob `blobId` in each mailbox, with `flags`, received at
   * `receivedAt` (default: the date of the newest Received field, else now), charged to the
   * quota once per mailbox. The blob must be an upload no message holds yet (`message_exists`
   * when one does), of an Internet message (`not_a_message`).
   */
  async importMessage(account: UnlockedAccount, input: { blobId: number; mailboxIds: readonly number[]; flags?: readonly string[]; receivedAt?: Date }): Promise<ImportedMessage> {
    const flags = checkFlags(input.flags ?? []);
    const mailboxIds = [...new Set(input.mailboxIds)];
    if (mailboxIds.length === 0) throw new ServiceError('mailbox_not_found', 'an Email is in at least one mailbox');
    const userId = account.userId;
    const result = await this.#db.transaction(async (tx) => {
      const raw = await this.#claim(tx, account, input.blobId);
      // The upload becomes an Email: its summary is made now, while its bytes are open.
      await tx.query('UPDATE blobs SET summary = $3 WHERE id = $2 AND user_id = $1 AND seal = 2', [userId, input.blobId, sealSummary(account, userId, summarize(raw), this.#rng)]);
      const internalDate = input.receivedAt ?? receivedDate(raw) ?? new Date(this.#now());
      const modseq = await nextModseq(tx, userId);
      await chargeQuota(tx, userId, raw.length * mailboxIds.length);
      let threadId = 0;
      for (const mailboxId of mailboxIds) {
        const mb = await allocateUids(tx, userId, { id: mailboxId }, 1, modseq);
        const [idRow] = await tx.query<{ id: number }>("SELECT nextval('messages_id_seq')::int8 AS id");
        if (threadId === 0) threadId = await assignThread(tx, account, idRow!.id, raw);
        await tx.query(
          `INSERT INTO messages (id, user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
           VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10)`,
          [idRow!.id, userId, mb.id, mb.firstUid, modseq, flags, internalDate, raw.length, threadId, input.blobId],
        );
      }
      return { blobId: input.blobId, threadId, size: raw.length, modseq };
    });
    for (const mailboxId of mailboxIds) await this.#sink.publish({ userId, modseq: result.modseq, mailboxId, kind: 'email' });
    return result;
  }

  /** The bytes of an upload about to become messages, locked against a concurrent import. */
  async #claim(tx: Queryable, account: UnlockedAccount, blobId: number): Promise<Uint8Array> {
    const [b] = await tx.query<{ seal: number; data: Uint8Array; size: number; uploaded: boolean }>(
      'SELECT seal, data, size, uploaded_at IS NOT NULL AS uploaded FROM blobs WHERE id = $2 AND user_id = $1 FOR UPDATE',
      [account.userId, blobId],
    );
    const held = (await tx.query('SELECT 1 FROM messages WHERE user_id = $1 AND blob_id = $2 LIMIT 1', [account.userId, blobId])).length > 0;
    if (!b || (!b.uploaded && !held)) throw new ServiceError('blob_not_found');
    if (held) throw new ServiceError('message_exists');
    if (b.size > MAX_MESSAGE_BYTES) throw new ServiceError('too_large', `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
    const raw = openBlob(b.seal, b.data, account.userId, account, new Map());
    if (!isInternetMessage(raw)) throw new ServiceError('not_a_message');
    return raw;
  }

  /**
   * Drops uploads older than UPLOAD_KEEP_MS that no message holds (at most UPLOAD_SWEEP_BATCH),
   * and lets those a message holds by then go with their messages, as any stored blob does.
   * Returns how many were dropped.
   */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(this.#now() - UPLOAD_KEEP_MS);
    const dropped = await this.#db.query<{ id: number }>(
      `DELETE FROM blobs WHERE id IN (
         SELECT b.id FROM blobs b WHERE b.uploaded_at < $1
            AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)
            AND NOT EXISTS (SELECT 1 FROM outbound o WHERE o.blob_id = b.id)
          LIMIT $2)
       RETURNING id`,
      [cutoff, UPLOAD_SWEEP_BATCH],
    );
    await this.#db.query('UPDATE blobs b SET uploaded_at = NULL WHERE b.uploaded_at < $1 AND EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)', [cutoff]);
    return dropped.length;
  }
}

/** Bytes of the account's uploads that no message holds. */
async function pendingBytes(tx: Queryable, userId: number): Promise<number> {
  const [row] = await tx.query<{ bytes: number | null }>(
    'SELECT sum(size) AS bytes FROM blobs b WHERE b.user_id = $1 AND b.uploaded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)',
    [userId],
  );
  return Number(row?.bytes ?? 0);
}

/** The date of the topmost (newest) Received field: what follows its last `;` (RFC 5321 §4.4). */
export function receivedDate(raw: Uint8Array): Date | undefined {
  const received = headerFields(raw).find((f) => f.name === 'received');
  const semi = received?.value.lastIndexOf(';') ?? -1;
  if (!received || semi === -1) return undefined;
  const ms = Date.parse(received.value.slice(semi + 1).trim());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

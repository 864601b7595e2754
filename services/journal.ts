// The change journal shared by every mailbox operation: one account-wide modseq per change
// (IMAP MODSEQ, JMAP state), one journal row per object changed, and a notification after
// commit so IMAP IDLE and JMAP push see it.
import type { Queryable } from '../storage/db.js';

export interface ChangeEvent {
  userId: number;
  modseq: number;
  mailboxId?: number;
  /**
   * What changed: mailbox data (journaled below), an identity, EmailSubmission or the vacation
   * response (their own modseq columns), or the user's postage cases, policy or contacts
   * (`postage`: they have no modseq, and such an event carries 0).
   */
  kind: 'email' | 'mailbox' | 'identity' | 'submission' | 'vacation' | 'postage';
}

/** What the services need of the notifier (storage/notifier.ts implements it). */
export interface ChangeSink {
  publish(event: ChangeEvent): Promise<void>;
}

export const NO_NOTIFICATIONS: ChangeSink = { publish: async () => {} };

export interface ChangeRow {
  kind: 'email' | 'mailbox';
  op: 'created' | 'updated' | 'destroyed';
  objectId: number;
  mailboxId?: number | null;
  uid?: number | null;
  threadId?: number | null;
  /** Destroyed messages: the blob they held and the modseq their row was created at (JMAP Email/changes). */
  blobId?: number | null;
  createdModseq?: number | null;
}

/** Takes the next account modseq. Locks the user row: changes of one account serialise here. */
export async function nextModseq(tx: Queryable, userId: number): Promise<number> {
  const [row] = await tx.query<{ modseq: number }>('UPDATE users SET modseq = modseq + 1 WHERE id = $1 RETURNING modseq', [userId]);
  if (!row) throw new Error(`user ${userId} vanished during a change`);
  return row.modseq;
}

export async function recordChanges(tx: Queryable, userId: number, modseq: number, rows: readonly ChangeRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO changes (user_id, modseq, kind, op, object_id, mailbox_id, uid, thread_id, blob_id, created_modseq)
     SELECT $1, $2, k, o, obj, mb, u, th, b, cm
       FROM unnest($3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[]) AS t(k, o, obj, mb, u, th, b, cm)`,
    [
      userId, modseq, rows.map((r) => r.kind), rows.map((r) => r.op), rows.map((r) => r.objectId), rows.map((r) => r.mailboxId ?? null), rows.map((r) => r.uid ?? null),
      rows.map((r) => r.threadId ?? null), rows.map((r) => r.blobId ?? null), rows.map((r) => r.createdModseq ?? null),
    ],
  );
}

/** A message row just deleted in the caller's transaction, as `journalRemoval` journals it. */
export interface RemovedMessage {
  id: number;
  mailbox_id: number;
  uid: number;
  thread_id: number;
  blob_id: number;
  created_modseq: number;
  size: number;
}

/**
 * The modseq of a removal, with the quota its messages gave back: the account's row lock, so
 * the caller runs `journalRemoval` next and commits. (expunge does the same inside its DELETE.)
 */
export async function removalModseq(tx: Queryable, userId: number, removed: readonly RemovedMessage[]): Promise<number> {
  const [row] = await tx.query<{ modseq: number }>(
    'UPDATE users SET modseq = modseq + 1, used_bytes = greatest(used_bytes - $2, 0) WHERE id = $1 RETURNING modseq',
    [userId, removed.reduce((s, m) => s + m.size, 0)],
  );
  if (!row) throw new Error(`user ${userId} vanished during a change`);
  return row.modseq;
}

/**
 * What follows deleting message rows and taking the modseq, in one statement: HIGHESTMODSEQ of
 * their mailboxes, one journal row per message (in the given order), and the blobs no message
 * refers to any more dropped, except recent JMAP uploads (as `releaseSpace`). It must be a
 * statement of its own after the modseq's: its snapshot then sees every removal committed
 * before this one took the account's lock (two expunges of one blob's copies) and copies that
 * committed while the DELETE waited for their row locks.
 */
export async function journalRemoval(tx: Queryable, userId: number, modseq: number, removed: readonly RemovedMessage[]): Promise<void> {
  if (removed.length === 0) return;
  await tx.query(
    `WITH r AS (
       SELECT * FROM unnest($3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[]) WITH ORDINALITY
         AS r(id, mailbox_id, uid, thread_id, blob_id, created_modseq, ord)),
     mb AS (
       UPDATE mailboxes b SET highestmodseq = $2 WHERE b.user_id = $1 AND b.id IN (SELECT mailbox_id FROM r)),
     j AS (
       INSERT INTO changes (user_id, modseq, kind, op, object_id, mailbox_id, uid, thread_id, blob_id, created_modseq)
       SELECT $1, $2, 'email', 'destroyed', r.id, r.mailbox_id, r.uid, r.thread_id, r.blob_id, r.created_modseq FROM r ORDER BY r.ord)
     DELETE FROM blobs b WHERE b.user_id = $1 AND b.id IN (SELECT blob_id FROM r) AND b.uploaded_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)`,
    [
      userId, modseq, removed.map((m) => m.id), removed.map((m) => m.mailbox_id), removed.map((m) => m.uid), removed.map((m) => m.thread_id),
      removed.map((m) => m.blob_id), removed.map((m) => m.created_modseq),
    ],
  );
}

/** The journal row of a removed message (expunged, moved away, or gone with its mailbox). */
export function destroyedRow(
  m: { id: number; uid: number; thread_id: number; blob_id: number; created_modseq: number; mailbox_id?: number },
  mailboxId = m.mailbox_id,
): ChangeRow {
  return { kind: 'email', op: 'destroyed', objectId: m.id, mailboxId: mailboxId ?? null, uid: m.uid, threadId: m.thread_id, blobId: m.blob_id, createdModseq: m.created_modseq };
}

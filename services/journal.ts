// The change journal shared by every mailbox operation: one account-wide modseq per change
// (IMAP MODSEQ, JMAP state), one journal row per object changed, and a notification after
// commit so IMAP IDLE and JMAP push see it.
import type { Queryable } from '../storage/db.js';

export interface ChangeEvent {
  userId: number;
  modseq: number;
  mailboxId?: number;
  kind: 'email' | 'mailbox';
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

/** The journal row of a removed message (expunged, moved away, or gone with its mailbox). */
export function destroyedRow(
  m: { id: number; uid: number; thread_id: number; blob_id: number; created_modseq: number; mailbox_id?: number },
  mailboxId = m.mailbox_id,
): ChangeRow {
  return { kind: 'email', op: 'destroyed', objectId: m.id, mailboxId: mailboxId ?? null, uid: m.uid, threadId: m.thread_id, blobId: m.blob_id, createdModseq: m.created_modseq };
}

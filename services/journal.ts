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
    `INSERT INTO changes (user_id, modseq, kind, op, object_id, mailbox_id, uid, thread_id)
     SELECT $1, $2, k, o, obj, mb, u, th FROM unnest($3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[], $8::int8[]) AS t(k, o, obj, mb, u, th)`,
    [userId, modseq, rows.map((r) => r.kind), rows.map((r) => r.op), rows.map((r) => r.objectId), rows.map((r) => r.mailboxId ?? null), rows.map((r) => r.uid ?? null), rows.map((r) => r.threadId ?? null)],
  );
}

// Group commit for deliveries. Concurrent deliveries are gathered into one SQL statement that
// stores them all (modseqs, UIDs, quota, blobs and messages) in one transaction, and each
// caller's promise settles only after that statement committed. One statement runs at a time
// per process; user rows are locked in id order, so batches of several processes cannot
// deadlock on each other.
import type { Db } from '../storage/db.js';
import type { MailboxRole } from './mailbox-names.js';

/** Most deliveries one statement stores. */
export const MAX_DELIVERY_BATCH = 64;

export interface DeliveryItem {
  userId: number;
  role: MailboxRole;
  /** How the blob is sealed (message-crypto.ts: SEAL_TO_PUBLIC_KEY or SEAL_ENVELOPE). */
  seal: number;
  /** The sealed blob. */
  data: Uint8Array;
  size: number;
  flags: string[];
  internalDate: Date;
}

interface Pending extends DeliveryItem {
  resolve: (row: Record<string, unknown> | null) => void;
  reject: (err: unknown) => void;
}

export class DeliveryBatcher {
  readonly #db: Db;
  readonly #columns: string;
  readonly #queue: Pending[] = [];
  #running = false;

  /** `columns`: the message columns to return, as a select list over the inserted rows. */
  constructor(db: Db, columns: string) {
    this.#db = db;
    this.#columns = columns;
  }

  /**
   * Stores one delivery; resolves with its message row, or null when its user was not
   * updated (inactive, over quota or without the target mailbox) and nothing was stored.
   */
  submit(item: DeliveryItem, opts: { alone?: boolean } = {}): Promise<Record<string, unknown> | null> {
    // Alone: a statement of its own, for a delivery that failed only because of its batch.
    if (opts.alone) return this.#store([item]).then((rows) => rows[0] ?? null);
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_DELIVERY_BATCH);
        try {
          const rows = await this.#store(batch);
          const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
          batch.forEach((p, i) => p.resolve(byOrd.get(i) ?? null));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #store(batch: readonly DeliveryItem[]): Promise<Array<Record<string, unknown>>> {
    return this.#db.query(
      `WITH input AS (
         SELECT * FROM unnest($1::int8[], $2::text[], $3::bytea[], $4::int8[], $5::text[], $6::timestamptz[], $7::int4[], $8::int2[])
                AS t(user_id, role, data, size, flags, internal_date, ord, seal)),
       per_user AS (
         SELECT i.user_id, count(*) AS n, sum(i.size) AS total,
                bool_and(EXISTS (SELECT 1 FROM mailboxes x WHERE x.user_id = i.user_id AND x.role = i.role)) AS has_mailboxes
           FROM input i GROUP BY i.user_id),
       locked AS (SELECT id FROM users WHERE id IN (SELECT user_id FROM per_user) ORDER BY id FOR UPDATE),
       u AS (
         UPDATE users SET modseq = users.modseq + p.n, used_bytes = users.used_bytes + p.total
           FROM per_user p JOIN locked l ON l.id = p.user_id
          WHERE users.id = p.user_id AND users.status = 'active' AND users.used_bytes + p.total <= users.quota_bytes AND p.has_mailboxes
          RETURNING users.id, users.modseq - p.n AS base_modseq),
       ranked AS (
         SELECT i.*, u.base_modseq + row_number() OVER (PARTITION BY i.user_id ORDER BY i.ord) AS modseq,
                row_number() OVER (PARTITION BY i.user_id, i.role ORDER BY i.ord) AS box_rank
           FROM input i JOIN u ON u.id = i.user_id),
       per_box AS (SELECT user_id, role, count(*) AS n, max(modseq) AS top FROM ranked GROUP BY user_id, role),
       mb AS (
         UPDATE mailboxes SET uidnext = mailboxes.uidnext + b.n, highestmodseq = greatest(mailboxes.highestmodseq, b.top)
           FROM per_box b WHERE mailboxes.user_id = b.user_id AND mailboxes.role = b.role
          RETURNING mailboxes.id, mailboxes.user_id, mailboxes.role, mailboxes.uidnext - b.n AS base_uid),
       ids AS (
         SELECT r.*, mb.id AS mailbox_id, mb.base_uid + r.box_rank - 1 AS uid,
                nextval('blobs_id_seq') AS blob_id, nextval('messages_id_seq') AS message_id
           FROM ranked r JOIN mb ON mb.user_id = r.user_id AND mb.role = r.role),
       b AS (INSERT INTO blobs (id, user_id, seal, data, size) SELECT blob_id, user_id, seal, data, size FROM ids),
       m AS (
         INSERT INTO messages (id, user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
         SELECT message_id, user_id, mailbox_id, uid, modseq, modseq,
                CASE WHEN flags = '' THEN '{}'::text[] ELSE string_to_array(flags, ' ') END, internal_date, size, message_id, blob_id
           FROM ids
         RETURNING *)
       SELECT ids.ord, ${this.#columns} FROM m JOIN ids ON ids.message_id = m.id`,
      [
        batch.map((d) => d.userId),
        batch.map((d) => d.role),
        batch.map((d) => d.data),
        batch.map((d) => d.size),
        batch.map((d) => d.flags.join(' ')),
        batch.map((d) => d.internalDate),
        batch.map((_, i) => i),
        batch.map((d) => d.seal),
      ],
    );
  }
}

// The outbound queue: mail leaving the gateway, for legacy SMTP or (later) the LNMP relay
// path. A message is stored once (sealed under a key derived from the gateway secret, so the
// queue works while its sender is away) with one row per recipient. Workers claim due rows
// with FOR UPDATE SKIP LOCKED and a lease (next_attempt moves past the work), so several
// gateway processes never work one row at the same time. A message sent by an EmailSubmission
// names it: finishing (or retrying) one of its recipients records the outcome for the
// submission (submission-outcomes.ts), bumps the submission's modseq and announces it.
import type { Rng } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import { nextModseq, NO_NOTIFICATIONS, type ChangeEvent, type ChangeSink } from './journal.js';
import { boxOpen, boxSeal } from './secret-box.js';
import { sealOutcome, type SubmissionOutcome } from './submission-outcomes.js';

export type OutboundTransport = 'smtp' | 'lnmp';

export interface OutboundRecipient {
  readonly transport: OutboundTransport;
  readonly address: string;
}

export interface ClaimedRecipient {
  readonly id: number;
  readonly messageId: number;
  readonly recipient: string;
  readonly domain: string;
  /** Attempts including this one. */
  readonly attempts: number;
  readonly queuedAt: Date;
}

export interface OutboundMessage {
  readonly id: number;
  readonly userId: number | null;
  readonly envelopeFrom: string;
  readonly raw: Uint8Array;
}

export const OUTBOUND_RETRY = {
  /** First retry after this; each further one waits twice as long... */
  firstDelayMs: 5 * 60 * 1000,
  /** ...up to this. */
  maxDelayMs: 6 * 60 * 60 * 1000,
  /**
   * How long a claimed row is left to one worker before another may take it: longer than the
   * slowest delivery attempt (a 10-minute socket timeout after up to five 60-second connects).
   */
  leaseMs: 30 * 60 * 1000,
} as const;

const context = (id: number) => `outbound:${id}`;

export function retryDelayMs(attempts: number): number {
  return Math.min(OUTBOUND_RETRY.firstDelayMs * 2 ** Math.max(0, attempts - 1), OUTBOUND_RETRY.maxDelayMs);
}

export class OutboundQueue {
  readonly #db: Db;
  readonly #key: Uint8Array;
  readonly #rng: Rng;
  readonly #now: () => number;
  readonly #sink: ChangeSink;

  /** `notifier` hears each EmailSubmission whose delivery status changed (kind `submission`). */
  constructor(db: Db, opts: { gatewaySecret: Uint8Array; rng: Rng; now?: () => number; notifier?: ChangeSink }) {
    this.#db = db;
    this.#key = gatewaySubkey(opts.gatewaySecret, 'outbound-queue');
    this.#rng = opts.rng;
    this.#now = opts.now ?? Date.now;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
  }

  /**
   * Queues one message for its recipients, inside `q` so it commits with what caused it.
   * `submissionId`: the user's EmailSubmission that sends it, whose delivery status follows the queue.
   */
  async enqueue(q: Queryable, input: { userId: number | null; envelopeFrom: string; raw: Uint8Array; recipients: readonly OutboundRecipient[]; submissionId?: number }): Promise<number> {
    if (input.recipients.length === 0) throw new ServiceError('invalid_address', 'a queued message needs at least one recipient');
    const [idRow] = await q.query<{ id: number }>("SELECT nextval('outbound_messages_id_seq')::int8 AS id");
    const id = idRow!.id;
    await q.query('INSERT INTO outbound_messages (id, user_id, envelope_from, data, size, submission_id) VALUES ($1, $2, $3, $4, $5, $6)', [
      id, input.userId, input.envelopeFrom, boxSeal(this.#key, input.raw, context(id), this.#rng), input.raw.length, input.userId === null ? null : (input.submissionId ?? null),
    ]);
    await q.query(
      `INSERT INTO outbound (user_id, transport, recipient, domain, message_id, next_attempt, created_at)
       SELECT $1, t, r, lower(split_part(r, '@', 2)), $2, $3, $3 FROM unnest($4::text[], $5::text[]) AS v(t, r)`,
      [input.userId, id, new Date(this.#now()), input.recipients.map((r) => r.transport), input.recipients.map((r) => r.address)],
    );
    return id;
  }

  /** Claims up to `limit` due SMTP rows for this worker (leased for OUTBOUND_RETRY.leaseMs). */
  async claim(limit: number): Promise<ClaimedRecipient[]> {
    const now = this.#now();
    const rows = await this.#db.query<{ id: number; message_id: number; recipient: string; domain: string; attempts: number; created_ms: number }>(
      `UPDATE outbound o SET next_attempt = $2, attempts = o.attempts + 1
         FROM (SELECT id FROM outbound WHERE state = 'queued' AND transport = 'smtp' AND next_attempt <= $1
                ORDER BY next_attempt, id LIMIT $3 FOR UPDATE SKIP LOCKED) c
        WHERE o.id = c.id
        RETURNING o.id, o.message_id, o.recipient, o.domain, o.attempts, (extract(epoch FROM o.created_at) * 1000)::int8 AS created_ms`,
      [new Date(now), new Date(now + OUTBOUND_RETRY.leaseMs), limit],
    );
    return rows
      .map((r) => ({ id: r.id, messageId: r.message_id, recipient: r.recipient, domain: r.domain, attempts: r.attempts, queuedAt: new Date(r.created_ms) }))
      .sort((a, b) => a.id - b.id);
  }

  async message(id: number): Promise<OutboundMessage> {
    const [row] = await this.#db.query<{ user_id: number | null; envelope_from: string; data: Uint8Array }>(
      'SELECT user_id, envelope_from, data FROM outbound_messages WHERE id = $1',
      [id],
    );
    if (!row) throw new ServiceError('message_not_found', `queued message ${id} is gone`);
    return { id, userId: row.user_id, envelopeFrom: row.envelope_from, raw: boxOpen(this.#key, row.data, context(id)) };
  }

  /** Delivered: the row is finished; the body goes when the message's last row is finished. */
  async sent(ids: readonly number[], reply: string): Promise<void> {
    await this.#finish(ids, 'sent', reply);
  }

  /** Failed for good: finished; the caller reports it to the sender (DSN). */
  async failed(ids: readonly number[], reply: string): Promise<void> {
    await this.#finish(ids, 'failed', reply);
  }

  /** Try again later, after the backoff for the attempts made so far. */
  async retry(items: ReadonlyArray<Pick<ClaimedRecipient, 'id' | 'attempts'>>, reply: string): Promise<void> {
    if (items.length === 0) return;
    const now = this.#now();
    const events = await this.#db.transaction(async (tx) => {
      const rows = await tx.query<{ id: number }>(
        `UPDATE outbound SET next_attempt = v.at, last_reply = $1 FROM unnest($2::int8[], $3::timestamptz[]) AS v(id, at)
          WHERE outbound.id = v.id AND outbound.state = 'queued' RETURNING outbound.id`,
        [reply, items.map((i) => i.id), items.map((i) => new Date(now + retryDelayMs(i.attempts)))],
      );
      return this.#recordOutcomes(tx, rows.map((r) => r.id), 'queued', reply);
    });
    await this.#announce(events);
  }

  async #finish(ids: readonly number[], state: 'sent' | 'failed', reply: string): Promise<void> {
    if (ids.length === 0) return;
    const events = await this.#db.transaction(async (tx) => {
      const done = await tx.query<{ id: number; message_id: number }>(
        `UPDATE outbound SET state = $1, last_reply = $2, finished_at = $3 WHERE id = ANY($4::int8[]) AND state = 'queued' RETURNING id, message_id`,
        [state, reply, new Date(this.#now()), ids],
      );
      // The body of a message whose rows are all finished is not kept; the rows stay as its history.
      await tx.query(
        `UPDATE outbound_messages m SET data = '\\x'::bytea WHERE m.id = ANY($1::int8[])
           AND NOT EXISTS (SELECT 1 FROM outbound o WHERE o.message_id = m.id AND o.state = 'queued')`,
        [[...new Set(done.map((d) => d.message_id))]],
      );
      return this.#recordOutcomes(tx, done.map((d) => d.id), state === 'sent' ? 'yes' : 'no', reply);
    });
    await this.#announce(events);
  }

  /**
   * For rows of messages an EmailSubmission sent: each recipient's outcome sealed to its
   * user's public key, and the submissions' modseq bumped (one new modseq per user). A
   * submission not recorded yet (the queue was quicker) gets its outcomes all the same; one
   * destroyed since gets none. Returns the changes to announce after commit.
   */
  async #recordOutcomes(tx: Queryable, ids: readonly number[], delivered: SubmissionOutcome['delivered'], reply: string): Promise<ChangeEvent[]> {
    if (ids.length === 0) return [];
    const rows = await tx.query<{ id: number; recipient: string; user_id: number; submission_id: number; public_key: string }>(
      `SELECT o.id, o.recipient, m.user_id, m.submission_id, u.public_key
         FROM outbound o JOIN outbound_messages m ON m.id = o.message_id JOIN users u ON u.id = m.user_id
        WHERE o.id = ANY($1::int8[]) AND m.submission_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM email_submissions s WHERE s.id = m.submission_id AND s.destroyed)
        ORDER BY o.id`,
      [ids],
    );
    if (rows.length === 0) return [];
    for (const r of rows) {
      const data = sealOutcome(r.public_key, { userId: r.user_id, submissionId: r.submission_id, outboundId: r.id }, { recipient: r.recipient, delivered, smtpReply: reply }, this.#rng);
      await tx.query(
        `INSERT INTO email_submission_outcomes (outbound_id, user_id, submission_id, data) VALUES ($1, $2, $3, $4)
         ON CONFLICT (outbound_id) DO UPDATE SET data = EXCLUDED.data`,
        [r.id, r.user_id, r.submission_id, data],
      );
    }
    const events: ChangeEvent[] = [];
    for (const userId of [...new Set(rows.map((r) => r.user_id))].sort((a, b) => a - b)) {
      const submissions = [...new Set(rows.filter((r) => r.user_id === userId).map((r) => r.submission_id))];
      const live = await tx.query<{ id: number }>(
        'SELECT id FROM email_submissions WHERE user_id = $1 AND id = ANY($2::int8[]) AND NOT destroyed ORDER BY id FOR UPDATE',
        [userId, submissions],
      );
      if (live.length === 0) continue;
      const modseq = await nextModseq(tx, userId);
      await tx.query('UPDATE email_submissions SET modseq = $3 WHERE user_id = $1 AND id = ANY($2::int8[])', [userId, live.map((l) => l.id), modseq]);
      events.push({ userId, modseq, kind: 'submission' });
    }
    return events;
  }

  /** After commit; a lost announcement only delays push until the client asks again, so it never fails the delivery. */
  async #announce(events: readonly ChangeEvent[]): Promise<void> {
    for (const event of events) await this.#sink.publish(event).catch(() => {});
  }

  /** Rows per state, for `status` and metrics. */
  async depth(): Promise<{ queued: number; oldestQueuedAt: Date | undefined }> {
    const [row] = await this.#db.query<{ n: number; oldest_ms: number | null }>(
      "SELECT count(*)::int8 AS n, (extract(epoch FROM min(created_at)) * 1000)::int8 AS oldest_ms FROM outbound WHERE state = 'queued'",
    );
    return { queued: row?.n ?? 0, oldestQueuedAt: row?.oldest_ms == null ? undefined : new Date(row.oldest_ms) };
  }
}

/** One outbound row as the operator sees it (`lnmp-gateway queue list`); never the body. */
export interface QueueEntry {
  readonly id: number;
  readonly transport: OutboundTransport;
  readonly recipient: string;
  readonly envelopeFrom: string;
  readonly attempts: number;
  /** ISO 8601 times, so the entry reads the same in-process and over the admin socket. */
  readonly queuedAt: string;
  readonly nextAttempt: string;
  readonly lastReply: string | null;
}

/** Queued rows, oldest first, at most `limit`. Needs no gateway secret: bodies are not read. */
export async function listQueued(q: Queryable, limit: number): Promise<QueueEntry[]> {
  const rows = await q.query<{ id: number; transport: OutboundTransport; recipient: string; envelope_from: string; attempts: number; queued_ms: number; next_ms: number; last_reply: string | null }>(
    `SELECT o.id, o.transport, o.recipient, m.envelope_from, o.attempts, (extract(epoch FROM o.created_at) * 1000)::int8 AS queued_ms,
            (extract(epoch FROM o.next_attempt) * 1000)::int8 AS next_ms, o.last_reply
       FROM outbound o JOIN outbound_messages m ON m.id = o.message_id
      WHERE o.state = 'queued' ORDER BY o.created_at, o.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id, transport: r.transport, recipient: r.recipient, envelopeFrom: r.envelope_from, attempts: r.attempts,
    queuedAt: new Date(r.queued_ms).toISOString(), nextAttempt: new Date(r.next_ms).toISOString(), lastReply: r.last_reply,
  }));
}

/**
 * Makes queued rows due now (the worker takes them on its next round); returns the ids it
 * changed, in order. Rows already finished (sent or failed) are not touched: their bodies are gone.
 */
export async function retryNow(q: Queryable, ids: readonly number[], now: Date): Promise<number[]> {
  const rows = await q.query<{ id: number }>(
    "UPDATE outbound SET next_attempt = $2 WHERE id = ANY($1::int8[]) AND state = 'queued' RETURNING id",
    [ids, now],
  );
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

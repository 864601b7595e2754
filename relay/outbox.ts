// The relay outbox: envelopes to publish, kept in the database (migration 010) so they survive
// a restart, and a loop that publishes them through a RelayPool. One row per (envelope, relay):
// OK or `duplicate:` finishes it (`sent`), a permanent refusal (`invalid:`, `payment-required:`)
// or giving up after giveUpAfterMs fails it, anything else is retried after a jittered backoff.
// Rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so several processes can share it.
import type { VerifiedMessage } from '../core/envelope.js';
import type { Db, Queryable } from '../storage/db.js';
import { fullJitterDelay, systemTimers, type TimerHandle, type Timers } from './backoff.js';
import { isPermanentRejection, RelayClientError } from './client-errors.js';
import { resolveOutboxLimits, type RelayOutboxLimits } from './client-limits.js';
import type { RelayLogger } from './context.js';
import type { RelayOutcome, RelayPool } from './relay-pool.js';

export interface OutboxOptions {
  readonly db: Db;
  readonly pool: Pick<RelayPool, 'publishTo' | 'urls'>;
  readonly logger: RelayLogger;
  readonly limits?: Partial<RelayOutboxLimits>;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Uniform [0, 1): the retry jitter. */
  readonly random?: () => number;
  readonly timers?: Timers;
  /** Each relay's outcome once recorded (metrics, tests). */
  readonly onOutcome?: (envelopeId: string, outcome: RelayOutcome, envelope: VerifiedMessage) => void;
}

export interface RelayOutbox {
  /** Queues the envelope for the relays (default: every relay of the pool) and wakes the loop. */
  enqueue(envelope: VerifiedMessage, relays?: readonly string[]): Promise<number>;
  /** Looks for due rows now instead of at the next poll. */
  kick(): void;
  /** Stops the loop after the round in flight; queued rows stay for the next start. The pool stays open. */
  close(): Promise<void>;
}

/**
 * Queues an envelope inside `q` (so it can commit with what caused it); returns its outbox id.
 * Queuing it again adds only relays it was not queued for: a relay is never published to twice.
 */
export async function enqueueRelayEnvelope(q: Queryable, envelope: VerifiedMessage, relays: readonly string[], nowMs: number): Promise<number> {
  if (relays.length === 0) throw new RelayClientError('invalid', 'an outbox envelope needs at least one relay');
  // One statement, so the envelope never exists without its targets (the prune would take it).
  const [row] = await q.query<{ id: number }>(
    `WITH m AS (
       INSERT INTO relay_outbox (envelope_id, envelope, created_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (envelope_id) DO UPDATE SET envelope_id = EXCLUDED.envelope_id RETURNING id),
     t AS (
       INSERT INTO relay_outbox_targets (outbox_id, relay_url, next_attempt)
       SELECT m.id, u, $3 FROM m, unnest($4::text[]) AS u ON CONFLICT DO NOTHING)
     SELECT id FROM m`,
    [envelope.id, JSON.stringify(envelope), new Date(nowMs), [...new Set(relays)]],
  );
  const id = row!.id;
  return id;
}

interface Claimed {
  outbox_id: number;
  relay_url: string;
  attempts: number;
  envelope: VerifiedMessage;
  created_ms: number;
}

export function startOutbox(opts: OutboxOptions): RelayOutbox {
  const { db, pool, logger } = opts;
  const limits = resolveOutboxLimits(opts.limits);
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const timers = opts.timers ?? systemTimers;
  let stopped = false;
  let wake: (() => void) | undefined;
  let kicked = false;
  let lastPrune = 0;

  const claim = () =>
    db.query<Claimed>(
      `UPDATE relay_outbox_targets t SET next_attempt = $2, attempts = t.attempts + 1
         FROM (SELECT outbox_id, relay_url FROM relay_outbox_targets WHERE state = 'queued' AND next_attempt <= $1
                ORDER BY next_attempt LIMIT $3 FOR UPDATE SKIP LOCKED) c, relay_outbox o
        WHERE t.outbox_id = c.outbox_id AND t.relay_url = c.relay_url AND o.id = t.outbox_id
        RETURNING t.outbox_id, t.relay_url, t.attempts, o.envelope, (extract(epoch FROM o.created_at) * 1000)::int8 AS created_ms`,
      [new Date(now()), new Date(now() + limits.leaseMs), limits.claimBatch],
    );

  const finish = (row: Claimed, state: 'sent' | 'failed', note: string | null) =>
    db.query(
      `UPDATE relay_outbox_targets SET state = $3, last_error = $4, finished_at = $5 WHERE outbox_id = $1 AND relay_url = $2 AND state = 'queued'`,
      [row.outbox_id, row.relay_url, state, note, new Date(now())],
    );

  const record = async (row: Claimed, outcome: RelayOutcome) => {
    if (outcome.status !== 'failed') {
      await finish(row, 'sent', outcome.status === 'duplicate' ? 'duplicate: already stored' : null);
    } else {
      const text = outcome.error.message.slice(0, 500);
      const expired = row.envelope.expiry !== undefined && row.envelope.expiry * 1000 <= now();
      if (isPermanentRejection(outcome.error) || outcome.error.code === 'unknown_relay' || expired || now() - row.created_ms >= limits.giveUpAfterMs) {
        logger.warn('relay outbox gave up', { id: row.envelope.id, relay: row.relay_url, attempts: row.attempts, reason: text });
        await finish(row, 'failed', expired ? `expired; last: ${text}` : text);
      } else {
        const delay = fullJitterDelay(row.attempts - 1, limits.retryBaseMs, limits.retryMaxMs, random);
        await db.query(
          `UPDATE relay_outbox_targets SET next_attempt = $3, last_error = $4 WHERE outbox_id = $1 AND relay_url = $2 AND state = 'queued'`,
          [row.outbox_id, row.relay_url, new Date(now() + delay), text],
        );
        logger.info('relay outbox retry', { id: row.envelope.id, relay: row.relay_url, attempts: row.attempts, retryInMs: delay, reason: text });
      }
    }
    opts.onOutcome?.(row.envelope.id, outcome, row.envelope);
  };

  /** One claim and its publishes; returns how many rows were claimed. */
  const round = async (): Promise<number> => {
    const rows = await claim();
    const groups = new Map<number, Claimed[]>();
    for (const row of rows) groups.set(row.outbox_id, [...(groups.get(row.outbox_id) ?? []), row]);
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const outcomes = await pool.publishTo(group[0]!.envelope, group.map((r) => r.relay_url));
        await Promise.all(group.map((row, i) => record(row, outcomes[i]!)));
      }),
    );
    return rows.length;
  };

  const prune = async () => {
    if (now() - lastPrune < limits.pruneIntervalMs) return;
    lastPrune = now();
    await db.query(
      `DELETE FROM relay_outbox o WHERE o.created_at < $1 AND NOT EXISTS (
         SELECT 1 FROM relay_outbox_targets t WHERE t.outbox_id = o.id AND (t.state = 'queued' OR t.finished_at >= $1))`,
      [new Date(now() - limits.keepFinishedMs)],
    );
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (kicked || stopped) return resolve();
      let handle: TimerHandle = undefined;
      wake = () => {
        timers.clearTimeout(handle);
        wake = undefined;
        resolve();
      };
      handle = timers.setTimeout(() => wake?.(), ms);
    });

  const loop = async () => {
    while (!stopped) {
      kicked = false;
      let claimed: number;
      try {
        claimed = await round();
        await prune();
      } catch (err) {
        logger.error('relay outbox round failed', { err });
        await sleep(limits.errorDelayMs);
        continue;
      }
      if (claimed < limits.claimBatch) await sleep(limits.pollMs);
    }
  };
  const running = loop();
  const kick = () => {
    kicked = true;
    wake?.();
  };

  return {
    async enqueue(envelope, relays = pool.urls) {
      const id = await enqueueRelayEnvelope(db, envelope, relays, now());
      kick();
      return id;
    },
    kick,
    async close() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

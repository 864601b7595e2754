// A user's postage cases with their audit trail (postage_events), newest first: what
// `lnmp-gateway postage show` prints.
import type { Queryable } from '../storage/db.js';
import { num } from './postage-policy.js';
import type { CaseState } from './postage-verdict.js';

/** A case as the user and operator see it (CLI, JMAP). */
export interface PostageCase {
  readonly id: number;
  readonly state: CaseState;
  readonly amountSats: number;
  readonly priority: boolean;
  readonly paymentHash: string | undefined;
  readonly createdAt: Date;
  readonly settleBy: Date | undefined;
  readonly events: ReadonlyArray<{ at: Date; state: string; reason: string }>;
}

/** A user's most recent cases with their recorded events, newest first. */
export async function listCases(q: Queryable, userId: number, limit = 50): Promise<PostageCase[]> {
  const rows = await q.query<{ id: number; state: CaseState; amount_sats: number | string; priority: boolean; payment_hash: string | null; created_ms: number | string; settle_by_ms: number | string | null }>(
    `SELECT id, state, amount_sats, priority, payment_hash, (extract(epoch FROM created_at) * 1000)::int8 AS created_ms, (extract(epoch FROM settle_by) * 1000)::int8 AS settle_by_ms
       FROM postage WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
    [userId, limit],
  );
  const events = rows.length === 0 ? [] : await q.query<{ postage_id: number; at_ms: number | string; state: string; reason: string }>(
    'SELECT postage_id, (extract(epoch FROM at) * 1000)::int8 AS at_ms, state, reason FROM postage_events WHERE postage_id = ANY($1::int8[]) ORDER BY id',
    [rows.map((r) => r.id)],
  );
  return rows.map((r) => {
    const settleBy = num(r.settle_by_ms);
    return {
      id: Number(r.id),
      state: r.state,
      amountSats: Number(r.amount_sats),
      priority: r.priority,
      paymentHash: r.payment_hash ?? undefined,
      createdAt: new Date(Number(r.created_ms)),
      settleBy: settleBy === undefined ? undefined : new Date(settleBy),
      events: events.filter((e) => Number(e.postage_id) === Number(r.id)).map((e) => ({ at: new Date(Number(e.at_ms)), state: e.state, reason: e.reason })),
    };
  });
}

// What a user charges for postage: the gateway's defaults (config `postage`) overridden per
// user (table postage_policies). Friends pay nothing; acquaintances (a previous paid
// exchange) the acquaintance price; strangers the stranger price; every price doubles while
// the user's INBOX holds more unread messages than `surgeUnread` (surge).
import type { Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';

/** Prices double during a surge. */
export const SURGE_MULTIPLIER = 2;

export interface PostagePolicy {
  readonly strangerSats: number;
  readonly acquaintanceSats: number;
  /** Paid postage at or above this is tagged `$Priority`. */
  readonly prioritySats: number;
  readonly surgeUnread: number;
  /** Cancel (refund) instead of settling when the recipient replies: legitimate cold mail gets its postage back. */
  readonly refundOnReply: boolean;
  /** Send invoice auto-replies at all; without them strangers wait in the Screener. */
  readonly autoReply: boolean;
}

export type PolicyDefaults = Pick<PostagePolicy, 'strangerSats' | 'acquaintanceSats' | 'prioritySats' | 'surgeUnread'>;

/** The settings a user may change, and their columns. */
const COLUMNS = {
  strangerSats: 'stranger_sats',
  acquaintanceSats: 'acquaintance_sats',
  prioritySats: 'priority_sats',
  surgeUnread: 'surge_unread',
  refundOnReply: 'refund_on_reply',
  autoReply: 'auto_reply',
} as const satisfies Record<keyof PostagePolicy, string>;

export type PolicyPatch = { -readonly [K in keyof PostagePolicy]?: PostagePolicy[K] | null };

interface PolicyRow {
  stranger_sats: number | null;
  acquaintance_sats: number | null;
  priority_sats: number | null;
  surge_unread: number | null;
  refund_on_reply: boolean | null;
  auto_reply: boolean | null;
}

export async function loadPolicy(q: Queryable, userId: number, defaults: PolicyDefaults): Promise<PostagePolicy> {
  const [row] = await q.query<PolicyRow>('SELECT stranger_sats, acquaintance_sats, priority_sats, surge_unread, refund_on_reply, auto_reply FROM postage_policies WHERE user_id = $1', [userId]);
  return {
    strangerSats: num(row?.stranger_sats) ?? defaults.strangerSats,
    acquaintanceSats: num(row?.acquaintance_sats) ?? defaults.acquaintanceSats,
    prioritySats: num(row?.priority_sats) ?? defaults.prioritySats,
    surgeUnread: num(row?.surge_unread) ?? defaults.surgeUnread,
    refundOnReply: row?.refund_on_reply ?? false,
    autoReply: row?.auto_reply ?? true,
  };
}

/** Sets (or with null, resets to the default) the given settings of a user. */
export async function savePolicy(q: Queryable, userId: number, patch: PolicyPatch): Promise<void> {
  const keys = (Object.keys(patch) as Array<keyof PostagePolicy>).filter((k) => k in COLUMNS && patch[k] !== undefined);
  for (const key of keys) checkPolicySetting(key, patch[key]);
  if (keys.length === 0) return;
  const columns = keys.map((k) => COLUMNS[k]);
  await q.query(
    `INSERT INTO postage_policies (user_id, ${columns.join(', ')}) VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(', ')})
     ON CONFLICT (user_id) DO UPDATE SET ${columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, updated_at = now()`,
    [userId, ...keys.map((k) => patch[k])],
  );
}

/** Refuses a value a setting cannot take (null: back to the default). @throws ServiceError invalid_argument naming the setting */
export function checkPolicySetting(key: keyof PostagePolicy, value: unknown): void {
  if (value === null) return;
  if (key === 'refundOnReply' || key === 'autoReply') {
    if (typeof value !== 'boolean') throw new ServiceError('invalid_argument', `${key}: expected true or false`);
    return;
  }
  const min = key === 'prioritySats' || key === 'surgeUnread' ? 1 : 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > 100_000_000) {
    throw new ServiceError('invalid_argument', `${key}: expected a whole number ${min}-100000000`);
  }
}

/** The price for a sender of this class, or 0 (free: the INBOX). */
export function priceFor(policy: PostagePolicy, cls: 'stranger' | 'acquaintance', unread: number): number {
  const base = cls === 'acquaintance' ? policy.acquaintanceSats : policy.strangerSats;
  return unread > policy.surgeUnread ? base * SURGE_MULTIPLIER : base;
}

/** A nullable numeric column (int8 arrives as string or BigInt by driver) as a number, or undefined. */
export function num(v: number | string | bigint | null | undefined): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}

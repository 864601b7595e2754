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

/** Which of a user's cases to read (all without a filter), oldest first unless `newestFirst`. */
export interface CaseFilter {
  readonly ids?: readonly number[];
  /** The cases of these stored messages; with `latestPerBlob` only the newest case of each. */
  readonly blobIds?: readonly number[];
  readonly latestPerBlob?: boolean;
  readonly state?: CaseState;
  readonly newestFirst?: boolean;
  /** Leave the sealed details out (details null): what the Email `postage` property needs. */
  readonly withoutDetails?: boolean;
}

/** A case's row as the user's own clients see it (JMAP), its sealed details still sealed. */
export interface CaseRecord {
  readonly id: number;
  readonly userId: number;
  readonly blobId: number | undefined;
  readonly state: CaseState;
  readonly amountSats: number;
  readonly priority: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date | undefined;
  readonly settleBy: Date | undefined;
  /** The pay page's id, once the case has an invoice. */
  readonly publicId: string | undefined;
  readonly details: Uint8Array | null;
}

interface RecordRow {
  id: number | string;
  user_id: number | string;
  blob_id: number | string | null;
  state: CaseState;
  amount_sats: number | string;
  priority: boolean;
  created_ms: number | string;
  expires_ms: number | string | null;
  settle_by_ms: number | string | null;
  public_id: string | null;
  details: Uint8Array | null;
}

/** The user's cases matching `filter`, with everything a client may see. */
export async function findCases(q: Queryable, userId: number, filter: CaseFilter = {}): Promise<CaseRecord[]> {
  const { where, params } = whereOf(userId, filter);
  const rows = await q.query<RecordRow>(
    `SELECT ${filter.latestPerBlob ? 'DISTINCT ON (blob_id)' : ''} id, user_id, blob_id, state, amount_sats, priority, CASE WHEN bolt11 IS NULL THEN NULL ELSE public_id END AS public_id, ${filter.withoutDetails ? 'NULL::bytea AS details' : 'details'},
            (extract(epoch FROM created_at) * 1000)::int8 AS created_ms, (extract(epoch FROM expires_at) * 1000)::int8 AS expires_ms, (extract(epoch FROM settle_by) * 1000)::int8 AS settle_by_ms
       FROM postage WHERE ${where} ORDER BY ${filter.latestPerBlob ? 'blob_id, id DESC' : orderOf(filter)}`,
    params,
  );
  const date = (ms: number | string | null) => (ms === null ? undefined : new Date(Number(ms)));
  return rows.map((r) => ({
    id: Number(r.id),
    userId: Number(r.user_id),
    blobId: num(r.blob_id),
    state: r.state,
    amountSats: Number(r.amount_sats),
    priority: r.priority,
    createdAt: new Date(Number(r.created_ms)),
    expiresAt: date(r.expires_ms),
    settleBy: date(r.settle_by_ms),
    publicId: r.public_id ?? undefined,
    details: r.details,
  }));
}

/** The ids of the user's cases matching `filter`, in its order (Postage/query). */
export async function findCaseIds(q: Queryable, userId: number, filter: CaseFilter = {}): Promise<number[]> {
  const { where, params } = whereOf(userId, filter);
  const rows = await q.query<{ id: number | string }>(`SELECT id FROM postage WHERE ${where} ORDER BY ${orderOf(filter)}`, params);
  return rows.map((r) => Number(r.id));
}

/**
 * A value that changes whenever any case of the user changes: how many state changes their
 * cases have recorded (every visible change records one, and cases are kept with their user).
 */
export async function casesVersion(q: Queryable, userId: number): Promise<number> {
  const [row] = await q.query<{ n: number | string }>('SELECT count(*) AS n FROM postage_events e JOIN postage p ON p.id = e.postage_id WHERE p.user_id = $1', [userId]);
  return Number(row?.n ?? 0);
}

function whereOf(userId: number, filter: CaseFilter): { where: string; params: unknown[] } {
  const where = ['user_id = $1'];
  const params: unknown[] = [userId];
  if (filter.ids) where.push(`id = ANY($${params.push(filter.ids)}::int8[])`);
  if (filter.blobIds) where.push(`blob_id = ANY($${params.push(filter.blobIds)}::int8[])`);
  if (filter.state) where.push(`state = $${params.push(filter.state)}`);
  return { where: where.join(' AND '), params };
}

const orderOf = (filter: CaseFilter): string => (filter.newestFirst ? 'id DESC' : 'id');

/** A case as the user's clients see it: the sender unsealed, the pay page's URL while there is one. */
export type CaseView = Omit<CaseRecord, 'userId' | 'publicId' | 'details'> & {
  /** The From address the case was opened for: whose standing accepting it changes. */
  readonly sender: string | undefined;
  readonly payUrl: string | undefined;
};

// Threading by Message-ID, In-Reply-To and References over keyed hashes of the ids, so the
// ids themselves are never stored in clear (they are as revealing as subjects).
import type { Queryable } from '../storage/db.js';
import { threadingIds, threadKey, type BlobKeys } from './message-crypto.js';
import type { UnlockedAccount } from './unlocked-account.js';

/** Threads one message; see assignThreads. */
export async function assignThread(tx: Queryable, account: UnlockedAccount, messageId: number, raw: Uint8Array): Promise<number> {
  return (await assignThreads(tx, account, [{ key: messageId, messageId, raw }])).get(messageId)!;
}

/** The keyed hashes (hex) of the ids a message threads by: its Message-ID, then In-Reply-To and References. */
export function threadKeysOf(account: BlobKeys, raw: Uint8Array): string[] {
  const ids = threadingIds(raw);
  return [...(ids.messageId ? [ids.messageId] : []), ...ids.refs].map((id) => Buffer.from(threadKey(account, id)).toString('hex'));
}

/** Thread keys to store: hex key → thread id. */
export type FreshThreadKeys = Map<string, number>;

/**
 * Decides the threads of messages whose keys are known (see assignThreads) without storing
 * anything: item key → thread id, and the keys to store. Call it where concurrent threading of
 * the account is excluded (under the account's modseq row lock), so it sees every stored key.
 */
export async function planThreads(tx: Queryable, userId: number, items: ReadonlyArray<{ key: number; messageId: number; keys: readonly string[] }>): Promise<{ threads: Map<number, number>; fresh: FreshThreadKeys }> {
  const allKeys = [...new Set(items.flatMap((p) => p.keys))];
  const known = new Map<string, number>();
  if (allKeys.length > 0) {
    const rows = await tx.query<{ key: Uint8Array; thread_id: number }>('SELECT key, thread_id FROM thread_keys WHERE user_id = $1 AND key = ANY($2::bytea[])', [
      userId, allKeys.map((k) => Buffer.from(k, 'hex')),
    ]);
    for (const r of rows) known.set(Buffer.from(r.key).toString('hex'), r.thread_id);
  }
  const threads = new Map<number, number>();
  const fresh: FreshThreadKeys = new Map();
  for (const p of items) {
    const found = p.keys.map((k) => known.get(k) ?? fresh.get(k)).filter((t): t is number => t !== undefined);
    const threadId = found.length > 0 ? Math.min(...found) : p.messageId;
    for (const k of p.keys) if (!known.has(k) && !fresh.has(k)) fresh.set(k, threadId);
    threads.set(p.key, threadId);
  }
  return { threads, fresh };
}

/**
 * SQL that stores fresh thread keys, as a CTE or a statement, with its parameters numbered from
 * `first` (the user id is `$1`): `[sql, params]`.
 */
export function insertThreadKeysSql(fresh: FreshThreadKeys, first: number): [string, unknown[]] {
  return [
    `INSERT INTO thread_keys (user_id, key, thread_id) SELECT $1, k, t FROM unnest($${first}::bytea[], $${first + 1}::int8[]) AS v(k, t) ON CONFLICT (user_id, key) DO NOTHING`,
    [[...fresh.keys()].map((k) => Buffer.from(k, 'hex')), [...fresh.values()]],
  ];
}

/**
 * Threads messages by Message-ID, In-Reply-To and References: a message joins the thread of
 * any id it mentions that is already known (stored keyed hashes, or earlier in this batch),
 * else starts its own (thread id = its message id). Returns item key → thread id.
 */
export async function assignThreads(tx: Queryable, account: UnlockedAccount, items: ReadonlyArray<{ key: number; messageId: number; raw: Uint8Array }>): Promise<Map<number, number>> {
  const { threads, fresh } = await planThreads(tx, account.userId, items.map((it) => ({ key: it.key, messageId: it.messageId, keys: threadKeysOf(account, it.raw) })));
  if (fresh.size > 0) {
    const [sql, params] = insertThreadKeysSql(fresh, 2);
    await tx.query(sql, [account.userId, ...params]);
  }
  return threads;
}

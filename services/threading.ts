// Threading by Message-ID, In-Reply-To and References over keyed hashes of the ids, so the
// ids themselves are never stored in clear (they are as revealing as subjects).
import type { Queryable } from '../storage/db.js';
import { threadingIds, threadKey } from './message-crypto.js';
import type { UnlockedAccount } from './unlocked-account.js';

/** Threads one message; see assignThreads. */
export async function assignThread(tx: Queryable, account: UnlockedAccount, messageId: number, raw: Uint8Array): Promise<number> {
  return (await assignThreads(tx, account, [{ key: messageId, messageId, raw }])).get(messageId)!;
}

/**
 * Threads messages by Message-ID, In-Reply-To and References: a message joins the thread of
 * any id it mentions that is already known (stored keyed hashes, or earlier in this batch),
 * else starts its own (thread id = its message id). Returns item key → thread id.
 */
export async function assignThreads(tx: Queryable, account: UnlockedAccount, items: ReadonlyArray<{ key: number; messageId: number; raw: Uint8Array }>): Promise<Map<number, number>> {
  const perItem = items.map((it) => {
    const ids = threadingIds(it.raw);
    return { ...it, keys: [...(ids.messageId ? [ids.messageId] : []), ...ids.refs].map((id) => Buffer.from(threadKey(account, id)).toString('hex')) };
  });
  const allKeys = [...new Set(perItem.flatMap((p) => p.keys))];
  const known = new Map<string, number>();
  if (allKeys.length > 0) {
    const rows = await tx.query<{ key: Uint8Array; thread_id: number }>('SELECT key, thread_id FROM thread_keys WHERE user_id = $1 AND key = ANY($2::bytea[])', [
      account.userId, allKeys.map((k) => Buffer.from(k, 'hex')),
    ]);
    for (const r of rows) known.set(Buffer.from(r.key).toString('hex'), r.thread_id);
  }
  const result = new Map<number, number>();
  const fresh = new Map<string, number>();
  for (const p of perItem) {
    const found = p.keys.map((k) => known.get(k) ?? fresh.get(k)).filter((t): t is number => t !== undefined);
    const threadId = found.length > 0 ? Math.min(...found) : p.messageId;
    for (const k of p.keys) if (!known.has(k) && !fresh.has(k)) fresh.set(k, threadId);
    result.set(p.key, threadId);
  }
  if (fresh.size > 0) {
    await tx.query(
      'INSERT INTO thread_keys (user_id, key, thread_id) SELECT $1, k, t FROM unnest($2::bytea[], $3::int8[]) AS v(k, t) ON CONFLICT (user_id, key) DO NOTHING',
      [account.userId, [...fresh.keys()].map((k) => Buffer.from(k, 'hex')), [...fresh.values()]],
    );
  }
  return result;
}

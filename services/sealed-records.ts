// Per-user JMAP records kept sealed under a subkey of the user's mailbox key (readable only
// while the user is logged in), each with the account modseq of its last change and a
// tombstone once destroyed, so /changes can name it (identities and EmailSubmissions,
// migration 013). Table names are constants of this module, never caller text.
import { fromUtf8, utf8, type Rng } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { nextModseq } from './journal.js';
import { boxOpen, boxSeal } from './secret-box.js';
import type { UnlockedAccount } from './unlocked-account.js';

export type RecordTable = 'identities' | 'email_submissions';

export interface RecordChange<Id = number> {
  readonly id: Id;
  readonly modseq: number;
  readonly op: 'created' | 'updated' | 'destroyed';
}

type Keys = Pick<UnlockedAccount, 'userId' | 'subkey'>;

const context = (table: RecordTable, userId: number, id: number) => `${table}:${userId}:${id}`;

export function sealRecord(account: Keys, table: RecordTable, id: number, value: unknown, rng: Rng): Uint8Array {
  return boxSeal(account.subkey(table), utf8(JSON.stringify(value)), context(table, account.userId, id), rng);
}

/** @throws ServiceError integrity when the box was changed or moved to another row. */
export function openRecord<T>(account: Keys, table: RecordTable, id: number, data: Uint8Array): T {
  return JSON.parse(fromUtf8(boxOpen(account.subkey(table), data, context(table, account.userId, id)))) as T;
}

/** A new row id of the table (taken before the insert: the id is bound into the box). */
export async function nextRecordId(q: Queryable, table: RecordTable): Promise<number> {
  const [row] = await q.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('${table}', 'id'))::int8 AS id`);
  return row!.id;
}

/** Replaces a live row's data under a new modseq; returns that modseq, undefined when there is no such live row. */
export async function updateRecord(db: Db, table: RecordTable, account: Keys, id: number, value: unknown, rng: Rng): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: number }>(`SELECT id FROM ${table} WHERE id = $1 AND user_id = $2 AND NOT destroyed FOR UPDATE`, [id, account.userId]);
    if (!row) return undefined;
    const modseq = await nextModseq(tx, account.userId);
    await tx.query(`UPDATE ${table} SET data = $3, modseq = $4 WHERE id = $1 AND user_id = $2`, [id, account.userId, sealRecord(account, table, id, value, rng), modseq]);
    return modseq;
  });
}

/** Leaves a tombstone (no data) under a new modseq; returns that modseq, undefined when there is no such live row. */
export async function destroyRecord(db: Db, table: RecordTable, account: Keys, id: number, extraCondition = 'true'): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: number }>(`SELECT id FROM ${table} WHERE id = $1 AND user_id = $2 AND NOT destroyed AND ${extraCondition} FOR UPDATE`, [id, account.userId]);
    if (!row) return undefined;
    const modseq = await nextModseq(tx, account.userId);
    await tx.query(`UPDATE ${table} SET data = NULL, destroyed = true, modseq = $3 WHERE id = $1 AND user_id = $2`, [id, account.userId, modseq]);
    return modseq;
  });
}

/** Rows changed after `since`, ordered by modseq: created (since then), updated or destroyed. */
export async function recordChangesSince(db: Db, table: RecordTable, userId: number, since: number): Promise<Array<RecordChange & { row: { isDefault: boolean } }>> {
  const rows = await db.query<{ id: number; modseq: number; created_modseq: number; destroyed: boolean; is_default: boolean }>(
    `SELECT id, modseq, created_modseq, destroyed, ${table === 'identities' ? 'is_default' : 'false'} AS is_default FROM ${table}
      WHERE user_id = $1 AND modseq > $2 ORDER BY modseq, id`,
    [userId, since],
  );
  return rows.flatMap((r) => {
    const op = r.destroyed ? 'destroyed' : r.created_modseq > since ? 'created' : 'updated';
    // Created and destroyed since then: never seen, nothing to report.
    if (r.destroyed && r.created_modseq > since) return [];
    return [{ id: r.id, modseq: r.modseq, op, row: { isDefault: r.is_default } }];
  });
}

// Imported mail for named folders, moved in at login. A folder name is sealed under the user's
// mailbox key, which only a login unwraps, so `import` keeps such messages in import_staged
// (sealed to the public key, like delivered mail) with the folder name sealed the same way.
// At unlock each folder is found by name or created, and its staged messages become ordinary
// messages in import order; the re-wrap that follows seals them under the mailbox key.
import { fromUtf8, type Rng } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { nextModseq, recordChanges, type ChangeEvent } from './journal.js';
import { mailboxNameHash, normalizeMailboxName, sealMailboxName } from './mailbox-names.js';
import { openBlob, SEAL_TO_PUBLIC_KEY } from './message-crypto.js';
import type { UnlockedAccount } from './unlocked-account.js';

/**
 * Moves every staged import of the account into its mailboxes, one transaction per folder.
 * Returns the change events to publish after commit. Idempotent: a folder with nothing staged
 * is left alone, and rows are deleted in the transaction that stores them as messages.
 */
export async function materialiseImports(db: Db, account: UnlockedAccount, rng: Rng): Promise<ChangeEvent[]> {
  const folders = await db.query<{ id: number }>(
    'SELECT DISTINCT folder_id AS id FROM import_staged WHERE user_id = $1 ORDER BY folder_id',
    [account.userId],
  );
  const events: ChangeEvent[] = [];
  for (const { id } of folders) {
    const done = await db.transaction((tx) => materialiseFolder(tx, account, id, rng));
    if (done) events.push(...done);
  }
  return events;
}

async function materialiseFolder(tx: Queryable, account: UnlockedAccount, folderId: number, rng: Rng): Promise<ChangeEvent[] | undefined> {
  const userId = account.userId;
  // Locks the folder: a concurrent login of the same user waits, then finds nothing staged.
  const [folder] = await tx.query<{ name_sealed: Uint8Array | null; mailbox_id: number | null }>(
    'SELECT name_sealed, mailbox_id FROM import_folders WHERE id = $1 AND user_id = $2 FOR UPDATE',
    [folderId, userId],
  );
  if (!folder || folder.name_sealed === null) return undefined;
  const [staged] = await tx.query<{ n: number }>('SELECT count(*)::int8 AS n FROM import_staged WHERE user_id = $1 AND folder_id = $2', [userId, folderId]);
  const count = staged?.n ?? 0;
  if (count === 0) return undefined;
  const name = normalizeMailboxName(fromUtf8(openBlob(SEAL_TO_PUBLIC_KEY, folder.name_sealed, userId, account)));
  const modseq = await nextModseq(tx, userId);
  const events: ChangeEvent[] = [];
  let mailboxId = folder.mailbox_id ?? undefined;
  if (mailboxId === undefined) {
    const hash = mailboxNameHash(account.mailboxKey, name);
    const [existing] = await tx.query<{ id: number }>('SELECT id FROM mailboxes WHERE user_id = $1 AND name_hash = $2', [userId, hash]);
    if (existing) {
      mailboxId = existing.id;
    } else {
      const [created] = await tx.query<{ id: number }>(
        'INSERT INTO mailboxes (user_id, name_hash, name_sealed, highestmodseq) VALUES ($1, $2, $3, $4) RETURNING id',
        [userId, hash, sealMailboxName(account.mailboxKey, userId, name, rng), modseq],
      );
      mailboxId = created!.id;
      await recordChanges(tx, userId, modseq, [{ kind: 'mailbox', op: 'created', objectId: mailboxId }]);
      events.push({ userId, modseq, mailboxId, kind: 'mailbox' });
    }
    await tx.query('UPDATE import_folders SET mailbox_id = $2 WHERE id = $1', [folderId, mailboxId]);
  }
  const [box] = await tx.query<{ first_uid: number }>(
    'UPDATE mailboxes SET uidnext = uidnext + $3, highestmodseq = $4 WHERE id = $1 AND user_id = $2 RETURNING uidnext - $3 AS first_uid',
    [mailboxId, userId, count, modseq],
  );
  if (!box) throw new ServiceError('mailbox_not_found');
  // The staged rows become blobs and messages in one statement; UIDs follow the import order.
  await tx.query(
    `WITH s AS (
       SELECT id, seal, data, size, flags, internal_date, row_number() OVER (ORDER BY id) AS rn
         FROM import_staged WHERE user_id = $1 AND folder_id = $2),
     ids AS (SELECT s.*, nextval('blobs_id_seq') AS blob_id, nextval('messages_id_seq') AS message_id FROM s),
     b AS (INSERT INTO blobs (id, user_id, seal, data, size) SELECT blob_id, $1, seal, data, size FROM ids),
     m AS (
       INSERT INTO messages (id, user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
       SELECT message_id, $1, $3, $4 + rn - 1, $5, $5, flags, internal_date, size, message_id, blob_id FROM ids)
     DELETE FROM import_staged WHERE id IN (SELECT id FROM ids)`,
    [userId, folderId, mailboxId, box.first_uid, modseq],
  );
  events.push({ userId, modseq, mailboxId, kind: 'email' });
  return events;
}

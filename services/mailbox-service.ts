// Mailboxes (folders) of an unlocked account: list, create, rename, delete, subscribe, status.
// Every query is scoped by the session's user id, so forged mailbox ids of another user
// behave exactly like ids that do not exist.
import type { Rng } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { HIERARCHY_SEPARATOR, mailboxNameHash, normalizeMailboxName, openMailboxName, sealMailboxName, type MailboxRole } from './mailbox-names.js';
import { destroyedRow, nextModseq, recordChanges, NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import type { UnlockedAccount } from './unlocked-account.js';

export interface MailboxInfo {
  id: number;
  name: string;
  role: MailboxRole | null;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
  subscribed: boolean;
  messages: number;
  unseen: number;
  sizeBytes: number;
}

interface MailboxRow {
  id: number;
  name_sealed: Uint8Array;
  role: MailboxRole | null;
  uidvalidity: number;
  uidnext: number;
  highestmodseq: number;
  subscribed: boolean;
  messages: number;
  unseen: number;
  size_bytes: number;
}

const SELECT_MAILBOXES = `
  SELECT m.id, m.name_sealed, m.role, m.uidvalidity, m.uidnext, m.highestmodseq, m.subscribed,
         count(x.id)::int8 AS messages,
         count(x.id) FILTER (WHERE NOT ('\\Seen' = ANY (x.flags)))::int8 AS unseen,
         coalesce(sum(x.size), 0)::int8 AS size_bytes
    FROM mailboxes m LEFT JOIN messages x ON x.mailbox_id = m.id
   WHERE m.user_id = $1`;

export class MailboxService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #sink: ChangeSink;

  constructor(db: Db, opts: { rng: Rng; notifier?: ChangeSink }) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
  }

  async list(account: UnlockedAccount): Promise<MailboxInfo[]> {
    const rows = await this.#db.query<MailboxRow>(`${SELECT_MAILBOXES} GROUP BY m.id ORDER BY m.id`, [account.userId]);
    return rows.map((r) => this.#info(account, r)).sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(account: UnlockedAccount, id: number): Promise<MailboxInfo> {
    const rows = await this.#db.query<MailboxRow>(`${SELECT_MAILBOXES} AND m.id = $2 GROUP BY m.id`, [account.userId, id]);
    if (!rows[0]) throw new ServiceError('mailbox_not_found');
    return this.#info(account, rows[0]);
  }

  async byName(account: UnlockedAccount, name: string): Promise<MailboxInfo> {
    const rows = await this.#db.query<MailboxRow>(`${SELECT_MAILBOXES} AND m.name_hash = $2 GROUP BY m.id`, [account.userId, mailboxNameHash(account.mailboxKey, name)]);
    if (!rows[0]) throw new ServiceError('mailbox_not_found', `no mailbox "${name}"`);
    return this.#info(account, rows[0]);
  }

  /**
   * What IMAP SELECT needs of a mailbox: its id, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and message
   * count, without byName's unseen count and size (which read every message row).
   */
  async selectable(account: UnlockedAccount, name: string): Promise<Pick<MailboxInfo, 'id' | 'uidvalidity' | 'uidnext' | 'highestmodseq' | 'messages'>> {
    const [row] = await this.#db.query<{ id: number; uidvalidity: number; uidnext: number; highestmodseq: number; messages: number }>(
      `SELECT m.id, m.uidvalidity, m.uidnext, m.highestmodseq, (SELECT count(*) FROM messages x WHERE x.mailbox_id = m.id)::int8 AS messages
         FROM mailboxes m WHERE m.user_id = $1 AND m.name_hash = $2`,
      [account.userId, mailboxNameHash(account.mailboxKey, name)],
    );
    if (!row) throw new ServiceError('mailbox_not_found', `no mailbox "${name}"`);
    return row;
  }

  async byRole(account: UnlockedAccount, role: MailboxRole): Promise<MailboxInfo> {
    const rows = await this.#db.query<MailboxRow>(`${SELECT_MAILBOXES} AND m.role = $2 GROUP BY m.id`, [account.userId, role]);
    if (!rows[0]) throw new ServiceError('mailbox_not_found', `no ${role} mailbox`);
    return this.#info(account, rows[0]);
  }

  /** Creates a mailbox, subscribed unless told otherwise, with a role no other mailbox of the user has (one per role). */
  async create(account: UnlockedAccount, name: string, opts: { role?: MailboxRole; subscribed?: boolean } = {}): Promise<MailboxInfo> {
    const normalized = normalizeMailboxName(name);
    const id = await this.#change(account, 'created', async (tx) => {
      if (opts.role !== undefined && (await tx.query('SELECT 1 FROM mailboxes WHERE user_id = $1 AND role = $2', [account.userId, opts.role])).length > 0) {
        throw new ServiceError('mailbox_role_taken', `the ${opts.role} mailbox exists`);
      }
      const rows = await tx.query<{ id: number }>(
        'INSERT INTO mailboxes (user_id, name_hash, name_sealed, role, subscribed) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name_hash) DO NOTHING RETURNING id',
        [account.userId, mailboxNameHash(account.mailboxKey, normalized), sealMailboxName(account.mailboxKey, account.userId, normalized, this.#rng), opts.role ?? null, opts.subscribed ?? true],
      );
      if (!rows[0]) throw new ServiceError('mailbox_exists', `mailbox "${normalized}" exists`);
      return rows[0].id;
    });
    return this.get(account, id);
  }

  /** Renames a mailbox and its inferiors with it (RFC 3501 §6.3.5), in one modseq; each is journaled as updated. */
  async rename(account: UnlockedAccount, id: number, newName: string): Promise<MailboxInfo> {
    const normalized = normalizeMailboxName(newName);
    await this.#change(account, 'updated', async (tx, modseq) => {
      const mb = await this.#lockOwned(tx, account, id);
      if (mb.role === 'inbox') throw new ServiceError('mailbox_protected', 'INBOX cannot be renamed');
      const all = await tx.query<{ id: number; name_sealed: Uint8Array }>('SELECT id, name_sealed FROM mailboxes WHERE user_id = $1 FOR UPDATE', [account.userId]);
      const names = new Map(all.map((r) => [r.id, openMailboxName(account.mailboxKey, account.userId, r.name_sealed)]));
      const old = names.get(id)!;
      if (normalized.startsWith(`${old}${HIERARCHY_SEPARATOR}`)) throw new ServiceError('invalid_mailbox_name', 'a mailbox cannot move under itself');
      const moved = [...names].filter(([, n]) => n === old || n.startsWith(`${old}${HIERARCHY_SEPARATOR}`)).map(([mid, n]) => ({ id: mid, name: normalized + n.slice(old.length) }));
      const staying = new Set([...names].filter(([mid]) => !moved.some((m) => m.id === mid)).map(([, n]) => n));
      const clash = moved.find((m) => staying.has(m.name));
      if (clash) throw new ServiceError('mailbox_exists', `mailbox "${clash.name}" exists`);
      for (const m of moved) {
        await tx.query('UPDATE mailboxes SET name_hash = $3, name_sealed = $4, highestmodseq = $5 WHERE id = $1 AND user_id = $2', [
          m.id, account.userId, mailboxNameHash(account.mailboxKey, m.name), sealMailboxName(account.mailboxKey, account.userId, m.name, this.#rng), modseq,
        ]);
      }
      await recordChanges(tx, account.userId, modseq, moved.filter((m) => m.id !== id).map((m) => ({ kind: 'mailbox', op: 'updated', objectId: m.id })));
      return id;
    });
    return this.get(account, id);
  }

  /** Deletes a mailbox without a role and its messages (journaled as destroyed); with `onlyIfEmpty`, one holding messages is refused. */
  async delete(account: UnlockedAccount, id: number, opts: { onlyIfEmpty?: boolean } = {}): Promise<void> {
    await this.#change(account, 'destroyed', async (tx, modseq) => {
      const mb = await this.#lockOwned(tx, account, id);
      if (mb.role !== null) throw new ServiceError('mailbox_protected', `the ${mb.role} mailbox cannot be deleted`);
      if (opts.onlyIfEmpty && (await tx.query('SELECT 1 FROM messages WHERE mailbox_id = $1 AND user_id = $2 LIMIT 1', [id, account.userId])).length > 0) {
        throw new ServiceError('mailbox_not_empty');
      }
      const gone = await tx.query<{ id: number; uid: number; size: number; blob_id: number; thread_id: number; created_modseq: number }>(
        'DELETE FROM messages WHERE mailbox_id = $1 AND user_id = $2 RETURNING id, uid, size, blob_id, thread_id, created_modseq',
        [id, account.userId],
      );
      await recordChanges(tx, account.userId, modseq, gone.map((m) => destroyedRow(m, id)));
      await releaseSpace(tx, account.userId, gone);
      await tx.query('DELETE FROM mailboxes WHERE id = $1 AND user_id = $2', [id, account.userId]);
      return id;
    });
  }

  async setSubscribed(account: UnlockedAccount, id: number, subscribed: boolean): Promise<void> {
    await this.#change(account, 'updated', async (tx) => {
      await this.#lockOwned(tx, account, id);
      await tx.query('UPDATE mailboxes SET subscribed = $3 WHERE id = $1 AND user_id = $2', [id, account.userId, subscribed]);
      return id;
    });
  }

  async #lockOwned(tx: Queryable, account: UnlockedAccount, id: number): Promise<{ role: MailboxRole | null }> {
    const rows = await tx.query<{ role: MailboxRole | null }>('SELECT role FROM mailboxes WHERE id = $1 AND user_id = $2 FOR UPDATE', [id, account.userId]);
    if (!rows[0]) throw new ServiceError('mailbox_not_found');
    return rows[0];
  }

  async #change(account: UnlockedAccount, op: 'created' | 'updated' | 'destroyed', fn: (tx: Queryable, modseq: number) => Promise<number>): Promise<number> {
    const { id, modseq } = await this.#db.transaction(async (tx) => {
      const modseq = await nextModseq(tx, account.userId);
      const id = await fn(tx, modseq);
      if (op !== 'destroyed') await tx.query('UPDATE mailboxes SET highestmodseq = $2 WHERE id = $1', [id, modseq]);
      await recordChanges(tx, account.userId, modseq, [{ kind: 'mailbox', op, objectId: id }]);
      return { id, modseq };
    });
    await this.#sink.publish({ userId: account.userId, modseq, mailboxId: id, kind: 'mailbox' });
    return id;
  }

  #info(account: UnlockedAccount, r: MailboxRow): MailboxInfo {
    return {
      id: r.id,
      name: openMailboxName(account.mailboxKey, account.userId, r.name_sealed),
      role: r.role,
      uidvalidity: r.uidvalidity,
      uidnext: r.uidnext,
      highestmodseq: r.highestmodseq,
      subscribed: r.subscribed,
      messages: r.messages,
      unseen: r.unseen,
      sizeBytes: r.size_bytes,
    };
  }
}

/**
 * Gives back quota for removed messages and drops blobs no message refers to any more, except
 * recent JMAP uploads: those stay until the upload sweep (blob-service.ts) may drop them.
 */
export async function releaseSpace(tx: Queryable, userId: number, removed: ReadonlyArray<{ size: number; blob_id: number }>): Promise<void> {
  if (removed.length === 0) return;
  const total = removed.reduce((s, m) => s + m.size, 0);
  await tx.query('UPDATE users SET used_bytes = greatest(used_bytes - $2, 0) WHERE id = $1', [userId, total]);
  await tx.query(
    'DELETE FROM blobs b WHERE b.user_id = $1 AND b.id = ANY($2::int8[]) AND b.uploaded_at IS NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)',
    [userId, [...new Set(removed.map((m) => m.blob_id))]],
  );
}

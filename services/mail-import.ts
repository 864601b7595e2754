// Mail imported from a legacy IMAP server (`lnmp-gateway import`): one message at a time into
// the folder it came from, with its flags, keywords, internal date and exact bytes, stored like
// mail from the MX (a gateway-signed envelope sealed to the user's public key: the user may be
// away). Each (user, legacy account, folder, UIDVALIDITY, UID) is imported at most once: the
// progress row commits with the message, so a repeated or interrupted run never duplicates.
import addressparser from 'nodemailer/lib/addressparser';
import { createMessage, utf8, type Identity, type Rng } from '../core/index.js';
import { headerFields, mimeToContent } from '../converters/index.js';
import type { Db, Queryable } from '../storage/db.js';
import type { AccountService } from './account-service.js';
import type { ContactService } from './contact-service.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import { normalizeMailboxName, HIERARCHY_SEPARATOR, type MailboxRole } from './mailbox-names.js';
import { DeliverySealer, SEAL_ENVELOPE } from './message-crypto.js';
import { checkFlags, type MessageService } from './message-service.js';
import { keyedHash } from './secret-box.js';

/** RFC 6154 special-use attributes and the mailbox role each is imported into. */
export const SPECIAL_USE_ROLES: Readonly<Record<string, MailboxRole>> = {
  '\\Inbox': 'inbox',
  '\\Sent': 'sent',
  '\\Drafts': 'drafts',
  '\\Trash': 'trash',
  '\\Junk': 'junk',
  '\\Archive': 'archive',
};

/** A legacy folder as the import names it. */
export interface LegacyFolder {
  /** The folder's path on the legacy server (decoded, as LIST shows it). */
  readonly path: string;
  /** Its hierarchy delimiter on the legacy server, when it has one. */
  readonly delimiter?: string | undefined;
  /** Its special-use attribute (`\Sent`, ...), if any. */
  readonly specialUse?: string | undefined;
}

export interface ImportedMessage {
  /** The target user's address (any address resolving to the user). */
  readonly address: string;
  /** The legacy account, e.g. `alice@imap.example.org`: never a password. */
  readonly source: string;
  readonly folder: LegacyFolder;
  readonly uidvalidity: number;
  readonly uid: number;
  readonly flags: readonly string[];
  readonly internalDate: Date;
  readonly raw: Uint8Array;
}

export type ImportResult = 'imported' | 'skipped';

/** Flags IMAP servers set themselves; never imported. */
const SESSION_FLAGS = new Set(['\\recent', '\\*']);
const KEYWORD_RE = /^\\?[!#-'*+\-.0-9A-Z^-z|~]{1,64}$/;

export class MailImport {
  readonly #db: Db;
  readonly #accounts: Pick<AccountService, 'resolveAddress'>;
  readonly #messages: Pick<MessageService, 'deliverInto'>;
  readonly #contacts: Pick<ContactService, 'addFriends' | 'announce'>;
  readonly #gateway: Pick<Identity, 'privateKey'>;
  readonly #key: Uint8Array;
  readonly #rng: Rng;
  readonly #now: () => number;
  readonly #sealer: DeliverySealer;

  constructor(deps: {
    db: Db;
    accounts: Pick<AccountService, 'resolveAddress'>;
    messages: Pick<MessageService, 'deliverInto'>;
    contacts: Pick<ContactService, 'addFriends' | 'announce'>;
    gateway: Pick<Identity, 'privateKey'>;
    gatewaySecret: Uint8Array;
    rng: Rng;
    now?: () => number;
  }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#messages = deps.messages;
    this.#contacts = deps.contacts;
    this.#gateway = deps.gateway;
    this.#key = gatewaySubkey(deps.gatewaySecret, 'mail-import');
    this.#rng = deps.rng;
    this.#now = deps.now ?? Date.now;
    this.#sealer = new DeliverySealer(deps.rng, this.#now);
  }

  /** The user an import goes to; `user_not_found` naming the address otherwise. */
  async user(address: string): Promise<{ userId: number; publicKey: string }> {
    const user = await this.#accounts.resolveAddress(address);
    if (!user) throw new ServiceError('user_not_found', `no user ${address.trim().toLowerCase()} on this gateway`);
    return { userId: user.userId, publicKey: user.publicKey };
  }

  /** UIDs of a legacy folder (at one UIDVALIDITY) already imported for the user, ascending. */
  async importedUids(address: string, source: string, folder: LegacyFolder, uidvalidity: number): Promise<number[]> {
    const { userId } = await this.user(address);
    const rows = await this.#db.query<{ uid: number }>(
      `SELECT i.uid FROM import_messages i JOIN import_folders f ON f.id = i.folder_id
        WHERE f.user_id = $1 AND f.folder_hash = $2 AND i.uidvalidity = $3 ORDER BY i.uid`,
      [userId, this.#folderHash(userId, source, folder.path), uidvalidity],
    );
    return rows.map((r) => r.uid);
  }

  /**
   * Imports one message; `skipped` when this legacy message was imported before. Special-use
   * folders and INBOX go to the mailbox of that role; other folders to the mailbox of the same
   * name (created at the user's next login if needed). Recipients of imported Sent mail
   * become the user's friends.
   */
  async importMessage(input: ImportedMessage): Promise<ImportResult> {
    const { userId, publicKey } = await this.user(input.address);
    const target = targetOf(input.folder);
    const flags = checkFlags(importableFlags(input.flags));
    const folderId = await this.#folderId(userId, publicKey, this.#folderHash(userId, input.source, input.folder.path), target);
    const content = await mimeToContent(input.raw);
    const timestamp = Math.floor(this.#now() / 1000);
    const envelope = (recipient: string) => createMessage({ privateKey: this.#gateway.privateKey, to: [recipient], content, timestamp }, this.#rng);
    const friends = target.role === 'sent' ? recipientsOf(input.raw) : [];
    const claim = async (tx: Queryable): Promise<boolean> => {
      const claimed = await tx.query(
        'INSERT INTO import_messages (folder_id, uidvalidity, uid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING uid',
        [folderId.id, input.uidvalidity, input.uid],
      );
      if (claimed.length === 0) return false;
      if (friends.length > 0) await this.#contacts.addFriends(userId, friends, tx);
      return true;
    };
    const into = target.role !== undefined ? { role: target.role } : folderId.mailboxId !== null ? { id: folderId.mailboxId } : undefined;
    if (into) {
      const stored = await this.#messages.deliverInto({ userId, target: into, raw: input.raw, envelope, flags, internalDate: input.internalDate }, claim);
      if (stored && friends.length > 0) await this.#contacts.announce(userId);
      return stored ? 'imported' : 'skipped';
    }
    // A named folder that does not exist yet: staged until the user's next login.
    const sealed = this.#sealer.seal(publicKey, userId, utf8(JSON.stringify(envelope(publicKey))));
    const outcome = await this.#db.transaction(async (tx) => {
      if (!(await claim(tx))) return 'skipped';
      const charged = await tx.query('UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1 AND used_bytes + $2 <= quota_bytes RETURNING id', [userId, input.raw.length]);
      if (charged.length === 0) throw new ServiceError('quota_exceeded');
      await tx.query(
        'INSERT INTO import_staged (user_id, folder_id, seal, data, size, flags, internal_date) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [userId, folderId.id, SEAL_ENVELOPE, sealed, input.raw.length, flags, input.internalDate],
      );
      return 'imported' as const;
    });
    if (outcome === 'imported' && friends.length > 0) await this.#contacts.announce(userId);
    return outcome;
  }

  #folderHash(userId: number, source: string, path: string): Uint8Array {
    return keyedHash(this.#key, `${userId}\n${source.trim().toLowerCase()}\n${path}`);
  }

  /** The import_folders row of a legacy folder, created on first use. */
  async #folderId(userId: number, publicKey: string, hash: Uint8Array, target: Target): Promise<{ id: number; mailboxId: number | null }> {
    const [found] = await this.#db.query<{ id: number; mailbox_id: number | null }>('SELECT id, mailbox_id FROM import_folders WHERE user_id = $1 AND folder_hash = $2', [userId, hash]);
    if (found) return { id: found.id, mailboxId: found.mailbox_id };
    const nameSealed = target.name === undefined ? null : this.#sealer.seal(publicKey, userId, utf8(target.name));
    await this.#db.query(
      'INSERT INTO import_folders (user_id, folder_hash, role, name_sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, folder_hash) DO NOTHING',
      [userId, hash, target.role ?? null, nameSealed],
    );
    const [row] = await this.#db.query<{ id: number; mailbox_id: number | null }>('SELECT id, mailbox_id FROM import_folders WHERE user_id = $1 AND folder_hash = $2', [userId, hash]);
    return { id: row!.id, mailboxId: row!.mailbox_id };
  }
}

type Target = { role: MailboxRole; name?: undefined } | { role?: undefined; name: string };

/** Where a legacy folder goes: a role for INBOX and special-use folders, else its name with `/` levels. */
export function targetOf(folder: LegacyFolder): Target {
  const role = folder.specialUse === undefined ? undefined : SPECIAL_USE_ROLES[folder.specialUse];
  if (role) return { role };
  if (folder.path.toUpperCase() === 'INBOX') return { role: 'inbox' };
  const levels = folder.delimiter ? folder.path.split(folder.delimiter) : [folder.path];
  // A level containing our separator keeps it readable rather than inventing a level.
  return { name: normalizeMailboxName(levels.map((l) => l.replaceAll(HIERARCHY_SEPARATOR, '-')).join(HIERARCHY_SEPARATOR)) };
}

/** The flags and keywords to keep: session flags dropped, keywords no IMAP client could send dropped. */
export function importableFlags(flags: readonly string[]): string[] {
  return flags.filter((f) => !SESSION_FLAGS.has(f.toLowerCase()) && KEYWORD_RE.test(f));
}

/** The To and Cc addresses of a message. */
export function recipientsOf(raw: Uint8Array): string[] {
  return headerFields(raw)
    .filter((f) => f.name === 'to' || f.name === 'cc')
    .flatMap((f) => addressparser(f.value, { flatten: true }).map((a) => a.address))
    .filter((a): a is string => typeof a === 'string' && a.includes('@'));
}

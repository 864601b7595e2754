// Mailbox names are sealed under the user's mailbox key, with a keyed hash for uniqueness
// and lookup, so a database dump does not show a user's folder names.
import type { Rng } from '../core/index.js';
import { fromUtf8, utf8 } from '../core/index.js';
import { boxOpen, boxSeal, keyedHash, subkey } from './secret-box.js';
import { ServiceError } from './errors.js';

export const MAILBOX_ROLES = ['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'screener'] as const;
export type MailboxRole = (typeof MAILBOX_ROLES)[number];

/** Every user gets these, with RFC 6154 special-use roles (Screener holds unpaid mail). */
export const DEFAULT_MAILBOXES: ReadonlyArray<{ name: string; role: MailboxRole }> = [
  { name: 'INBOX', role: 'inbox' },
  { name: 'Sent', role: 'sent' },
  { name: 'Drafts', role: 'drafts' },
  { name: 'Trash', role: 'trash' },
  { name: 'Junk', role: 'junk' },
  { name: 'Archive', role: 'archive' },
  { name: 'Screener', role: 'screener' },
];

export const MAX_MAILBOX_NAME_CHARS = 255;
export const HIERARCHY_SEPARATOR = '/';

/** INBOX is case-insensitive (RFC 3501 §5.1); other names are kept as given. */
export function normalizeMailboxName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_MAILBOX_NAME_CHARS) {
    throw new ServiceError('invalid_mailbox_name', `mailbox names are 1-${MAX_MAILBOX_NAME_CHARS} characters`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are what we reject
  if (/[\u0000-\u001f\u007f]/.test(name) || name.split(HIERARCHY_SEPARATOR).some((p) => p.length === 0)) {
    throw new ServiceError('invalid_mailbox_name', `mailbox names may not contain control characters or empty "${HIERARCHY_SEPARATOR}" levels`);
  }
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name.normalize('NFC');
}

export function mailboxNameHash(mailboxKey: Uint8Array, name: string): Uint8Array {
  return keyedHash(subkey(mailboxKey, 'mailbox-name-hash'), normalizeMailboxName(name));
}

export function sealMailboxName(mailboxKey: Uint8Array, userId: number, name: string, rng: Rng): Uint8Array {
  return boxSeal(subkey(mailboxKey, 'mailbox-name'), utf8(normalizeMailboxName(name)), `mailbox-name:${userId}`, rng);
}

export function openMailboxName(mailboxKey: Uint8Array, userId: number, sealed: Uint8Array): string {
  return fromUtf8(boxOpen(subkey(mailboxKey, 'mailbox-name'), sealed, `mailbox-name:${userId}`));
}

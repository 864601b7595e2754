// How message contents are kept: sealed to the user's public key at delivery (the gateway
// needs no secret to store mail), and under the user's symmetric mailbox key once the user
// has logged in. Both are bound to the owning user, so a blob cannot be moved to another.
import { fromUtf8, open, seal, utf8, isLnmpError, type Rng } from '../core/index.js';
import { boxOpen, boxSeal, keyedHash, subkey } from './secret-box.js';
import { ServiceError } from './errors.js';

export const SEAL_TO_PUBLIC_KEY = 1;
export const SEAL_MAILBOX_KEY = 2;

const blobContext = (userId: number) => `blob:${userId}`;

export function sealToPublicKey(publicKey: string, userId: number, raw: Uint8Array, rng: Rng): Uint8Array {
  return utf8(JSON.stringify(seal(raw, [publicKey], rng, { aad: utf8(blobContext(userId)) })));
}

export function sealWithMailboxKey(mailboxKey: Uint8Array, userId: number, raw: Uint8Array, rng: Rng): Uint8Array {
  return boxSeal(subkey(mailboxKey, 'blob'), raw, blobContext(userId), rng);
}

/** Opens a stored blob of either kind; any tampering gives ServiceError `integrity`. */
export function openBlob(kind: number, data: Uint8Array, userId: number, keys: { privateKey: Uint8Array; mailboxKey: Uint8Array }): Uint8Array {
  if (kind === SEAL_MAILBOX_KEY) return boxOpen(subkey(keys.mailboxKey, 'blob'), data, blobContext(userId));
  if (kind !== SEAL_TO_PUBLIC_KEY) throw new ServiceError('integrity', `unknown blob seal ${kind}`);
  try {
    return open(JSON.parse(fromUtf8(data)), keys.privateKey, { aad: utf8(blobContext(userId)) });
  } catch (cause) {
    if (isLnmpError(cause) || cause instanceof SyntaxError || cause instanceof TypeError) {
      throw new ServiceError('integrity', `sealed blob of user ${userId} does not open: ${(cause as Error).message}`, { cause });
    }
    throw cause;
  }
}

/** Keyed hash of a Message-ID, so threads can be joined without storing ids in clear. */
export function threadKey(mailboxKey: Uint8Array, messageId: string): Uint8Array {
  return keyedHash(subkey(mailboxKey, 'thread'), messageId.toLowerCase());
}

const MSGID_RE = /<[^<>\s]+>/g;

/**
 * The header section's Message-ID and the ids it refers to (In-Reply-To, References).
 * Only what threading needs; full MIME parsing belongs to converters/.
 */
export function threadingIds(raw: Uint8Array): { messageId: string | undefined; refs: string[] } {
  const headers = headerFields(raw);
  const first = (name: string) => headers.find((h) => h.name === name)?.value;
  const messageId = first('message-id')?.match(MSGID_RE)?.[0];
  const refs = [...(first('references')?.match(MSGID_RE) ?? []), ...(first('in-reply-to')?.match(MSGID_RE) ?? [])];
  return { messageId, refs: [...new Set(refs)].filter((r) => r !== messageId) };
}

/** Unfolded header fields of an RFC 5322 message (names lowercased). */
export function headerFields(raw: Uint8Array): Array<{ name: string; value: string }> {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end === -1 ? text : text.slice(0, end);
  const fields: Array<{ name: string; value: string }> = [];
  for (const line of head.replace(/\r?\n[ \t]/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

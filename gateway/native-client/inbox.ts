// `client inbox`: the envelopes addressed to the key, from each of its relays (AUTH first:
// relays serve a key's mail only to that key), merged by id, newest first, each verified (by
// the relay client) and opened. One that cannot be opened is skipped with a warning.
import { openMessage, type VerifiedMessage } from '../../core/index.js';
import type { RelayPool } from '../../relay/relay-pool.js';
import { CliError, EXIT } from '../cli/errors.js';
import { displaySender } from './compose.js';
import type { ClientKey } from './key-file.js';
import type { Warn } from './network.js';

export const DEFAULT_INBOX_LIMIT = 50;

export interface InboxEntry {
  readonly id: string;
  /** The envelope's timestamp (the sender's clock), ISO 8601. */
  readonly date: string;
  /** An LNMP address proven by the signing key, else the key itself. */
  readonly from: string;
  readonly fromKey: string;
  readonly subject: string;
  readonly body: string;
}

/** Opens one envelope; throws when it is not for `privateKey` or its content is malformed. */
export function openEntry(message: VerifiedMessage, privateKey: Uint8Array): InboxEntry {
  const content = openMessage(message, privateKey);
  return {
    id: message.id,
    date: new Date(message.timestamp * 1000).toISOString(),
    from: displaySender(message, content),
    fromKey: message.from,
    subject: content.subject ?? '',
    body: content.body,
  };
}

/** Opens `message`, or warns and returns undefined. */
export function tryOpen(message: VerifiedMessage, privateKey: Uint8Array, warn: Warn): InboxEntry | undefined {
  try {
    return openEntry(message, privateKey);
  } catch (err) {
    warn(`skipped message ${message.id}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Terminal-safe text: no control characters (a subject could carry escape sequences). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what we remove
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** `date  from  subject  id`, one line. */
export function formatEntry(entry: InboxEntry): string {
  return `${entry.date}  ${entry.from}  ${printable(entry.subject) || '(no subject)'}  ${entry.id}`;
}

/** Up to `limit` messages for the key, newest first; fails only when no relay answered. */
export async function readInbox(pool: RelayPool, key: ClientKey, limit: number, warn: Warn): Promise<InboxEntry[]> {
  const filter = { to: [key.publicKey], limit };
  const answers = await Promise.allSettled(pool.urls.map((url) => pool.client(url)!.query(filter)));
  const failures = answers.flatMap((a) => (a.status === 'rejected' ? [(a.reason as Error).message] : []));
  if (failures.length === answers.length) throw new CliError(`no relay answered: ${failures.join('; ')}`, EXIT.failure);
  for (const failure of failures) warn(failure);
  const byId = new Map<string, VerifiedMessage>();
  for (const a of answers) if (a.status === 'fulfilled') for (const m of a.value) byId.set(m.id, m);
  // Relays answer newest first, ties in arrival order; a stable sort by time keeps that order
  // for envelopes of the same second, so `--limit 1` and a full listing agree on the newest.
  const newest = [...byId.values()].sort((a, b) => b.timestamp - a.timestamp).slice(0, limit);
  return newest.flatMap((m) => tryOpen(m, key.privateKey, warn) ?? []);
}

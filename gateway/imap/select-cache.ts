// What SELECT announces of a mailbox (its UIDs and keywords), kept per process and shared by
// every session that selects it. An entry is valid for one mailbox state (UIDVALIDITY and
// HIGHESTMODSEQ); when the mailbox has moved on, the entry is brought forward from the
// messages changed and the UIDs expunged since its modseq instead of listing every message
// again. Any gateway process's change raises HIGHESTMODSEQ, so entries never go stale unseen.
import type { MailboxInfo } from '../../services/mailbox-service.js';
import type { MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { IMAP_SELECT_CACHE_MAILBOXES } from './limits.js';
import { keywordsOf } from './selection.js';
import { UidList, type UidSnapshot } from './uid-list.js';

interface Entry {
  readonly uidValidity: number;
  /** The state the entry shows: every change up to this modseq is in it. */
  readonly modseq: number;
  readonly uids: UidSnapshot;
  /** Keywords that were in use; one no message carries any more stays until a full reload. */
  readonly keywords: readonly string[];
}

export interface SelectState {
  readonly uids: UidSnapshot;
  readonly keywords: readonly string[];
}

type Messages = Pick<MessageService, 'selectInfo' | 'list' | 'expungedSince'>;
/** The mailbox row as SELECT reads it (MailboxService.selectable). */
type MailboxState = Pick<MailboxInfo, 'id' | 'uidvalidity' | 'highestmodseq' | 'messages'>;

export class SelectCache {
  readonly #entries = new Map<number, Entry>();
  readonly #capacity: number;

  constructor(capacity = IMAP_SELECT_CACHE_MAILBOXES) {
    this.#capacity = capacity;
  }

  /** The UIDs and keywords of `mailbox` as of (at least) its HIGHESTMODSEQ. */
  async state(messages: Messages, account: UnlockedAccount, mailbox: MailboxState): Promise<SelectState> {
    const cached = this.#entries.get(mailbox.id);
    let entry: Entry | undefined;
    if (cached && cached.uidValidity === mailbox.uidvalidity && cached.modseq <= mailbox.highestmodseq) {
      entry = cached.modseq === mailbox.highestmodseq ? cached : await forward(messages, account, mailbox, cached);
    }
    // A count that disagrees means a change the journal did not show: list everything again.
    if (!entry || entry.uids.length !== mailbox.messages) entry = await load(messages, account, mailbox);
    this.#remember(mailbox.id, entry);
    return entry;
  }

  #remember(mailboxId: number, entry: Entry): void {
    const current = this.#entries.get(mailboxId);
    if (current && current.uidValidity === entry.uidValidity && current.modseq > entry.modseq) return;
    // Map order is insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(mailboxId);
    this.#entries.set(mailboxId, entry);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

async function load(messages: Messages, account: UnlockedAccount, mailbox: MailboxState): Promise<Entry> {
  const { uids, keywords } = await messages.selectInfo(account, mailbox.id);
  return { uidValidity: mailbox.uidvalidity, modseq: mailbox.highestmodseq, uids: Uint32Array.from(uids), keywords };
}

/** The entry with the changes since its modseq applied (UIDs are never reused in a mailbox). */
async function forward(messages: Messages, account: UnlockedAccount, mailbox: MailboxState, entry: Entry): Promise<Entry> {
  const [changed, expunged] = await Promise.all([
    messages.list(account, mailbox.id, { changedSince: entry.modseq }),
    messages.expungedSince(account, mailbox.id, entry.modseq),
  ]);
  const gone = new Set(expunged.map((e) => e.uid));
  const known = new UidList(entry.uids);
  const added: number[] = [];
  const keywords = new Set(entry.keywords);
  let modseq = mailbox.highestmodseq;
  for (const m of changed) {
    if (!gone.has(m.uid) && !known.has(m.uid)) added.push(m.uid);
    for (const k of keywordsOf(m.flags)) keywords.add(k);
    modseq = Math.max(modseq, m.modseq);
  }
  for (const e of expunged) modseq = Math.max(modseq, e.modseq);
  return { uidValidity: entry.uidValidity, modseq, uids: withChanges(entry.uids, gone, added), keywords: [...keywords].sort() };
}

/** `uids` without `gone` and with `added`, ascending; the same snapshot when neither changes it. */
function withChanges(uids: UidSnapshot, gone: ReadonlySet<number>, added: number[]): UidSnapshot {
  const kept = gone.size > 0 ? uids.filter((uid) => !gone.has(uid)) : uids;
  if (added.length === 0) return kept;
  const next = new Uint32Array(kept.length + added.length);
  next.set(kept);
  next.set(added, kept.length);
  // Arrivals have the highest UIDs, so this is already in order unless one committed late.
  return added.every((uid, i) => uid > (i === 0 ? (kept.at(-1) ?? 0) : added[i - 1]!)) ? next : next.sort();
}

const caches = new WeakMap<object, SelectCache>();

/** The cache of one gateway: keyed by its MessageService, so every IMAP listener shares it. */
export function selectCacheOf(messages: object): SelectCache {
  let cache = caches.get(messages);
  if (!cache) caches.set(messages, (cache = new SelectCache()));
  return cache;
}

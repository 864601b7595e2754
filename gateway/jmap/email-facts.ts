// What Email/query filters and sorts on, per Email: its metadata (mailboxes, keywords, date,
// size), the keywords of every Email of its thread, its search document (services/
// message-search.ts, the one IMAP SEARCH uses) and the fields parsed from its bytes. Only what
// the filter and sort need is loaded: decrypting and parsing is the expensive part.
import type { SearchDoc } from '../../services/message-search.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { MethodContext } from './context.js';
import type { EmailAddress } from './email-content.js';
import { convenienceProperties, rawHeaders } from './email-header-forms.js';
import type { EmailView } from './emails.js';
import { mailboxIdOf } from './ids.js';
import { QUERY_PARSE_BATCH } from './limits.js';
import { keywordsOf } from './keywords.js';

/** Fields read from the message's bytes that sorting and hasAttachment use. */
export interface ParsedFacts {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  /** The Date header in epoch milliseconds, null without one. */
  readonly sentAt: number | null;
  readonly hasAttachment: boolean;
}

export interface EmailFacts {
  readonly blobId: number;
  readonly threadId: number;
  /** JMAP mailbox ids. */
  readonly mailboxIds: ReadonlySet<string>;
  /** Lowercase keywords. */
  readonly keywords: ReadonlySet<string>;
  readonly receivedAt: number;
  readonly size: number;
  /** The keywords of every Email in the thread, this one included (loaded when `thread` is needed). */
  readonly thread: ReadonlyArray<ReadonlySet<string>>;
  /** Loaded when `doc` is needed; undefined for a blob that is gone. */
  readonly doc: SearchDoc | undefined;
  /** Loaded when `parsed` is needed; undefined for a blob that is gone. */
  readonly parsed: ParsedFacts | undefined;
}

/** What a filter or sort reads beyond the metadata. */
export interface Needs {
  doc: boolean;
  parsed: boolean;
  thread: boolean;
}

/**
 * How Email/queryChanges can follow a query: `exact` when every condition and sort property is
 * immutable or a mailbox membership the journal records; `touched` when one is mutable (keywords,
 * size), so every changed Email is reported removed and, if it matches, added again; `none` for
 * thread conditions and collapseThreads, where an Email's place depends on others.
 */
export type ChangeKind = 'exact' | 'touched' | 'none';

export function weakest(...kinds: ChangeKind[]): ChangeKind {
  return kinds.includes('none') ? 'none' : kinds.includes('touched') ? 'touched' : 'exact';
}

export const noNeeds = (): Needs => ({ doc: false, parsed: false, thread: false });

/** The facts of every Email in `all`: the account's Emails, of which threads are made. */
export async function loadFacts(ctx: MethodContext, all: ReadonlyMap<number, EmailView>, needs: Needs): Promise<EmailFacts[]> {
  const blobIds = [...all.keys()];
  const docs = needs.doc ? await ctx.messages.searchDocuments(ctx.account, blobIds) : undefined;
  const parsed = needs.parsed ? await parsedOf(ctx, blobIds) : undefined;
  const keywords = new Map([...all.values()].map((e) => [e.blobId, new Set(Object.keys(keywordsOf(e.latest.flags)))]));
  const threads = new Map<number, Array<ReadonlySet<string>>>();
  if (needs.thread) {
    for (const e of all.values()) {
      const list = threads.get(e.latest.threadId);
      if (list) list.push(keywords.get(e.blobId)!);
      else threads.set(e.latest.threadId, [keywords.get(e.blobId)!]);
    }
  }
  return [...all.values()].map((e) => ({
    ...metaFacts(e),
    keywords: keywords.get(e.blobId)!,
    thread: threads.get(e.latest.threadId) ?? [],
    doc: docs?.get(e.blobId),
    parsed: parsed?.get(e.blobId),
  }));
}

/** The facts read from an Email's rows alone. */
export function metaFacts(e: EmailView): Pick<EmailFacts, 'blobId' | 'threadId' | 'mailboxIds' | 'receivedAt' | 'size'> {
  return { blobId: e.blobId, threadId: e.latest.threadId, mailboxIds: new Set(e.mailboxIds.map(mailboxIdOf)), receivedAt: e.latest.internalDate.getTime(), size: e.latest.size };
}

/**
 * Parsed fields per unlocked session, by blob (a blob's bytes never change), gone with the
 * session like the search documents. They come from the messages' stored summaries (the
 * header and hasAttachment, services/message-service.ts), so a sort by subject opens small
 * records instead of whole messages, and agrees with Email/get.
 */
const parsedCache = new WeakMap<UnlockedAccount, Map<number, ParsedFacts>>();

/** Reads QUERY_PARSE_BATCH summaries at a time; parsed ones come from the session's cache. */
async function parsedOf(ctx: MethodContext, blobIds: readonly number[]): Promise<Map<number, ParsedFacts>> {
  let parsed = parsedCache.get(ctx.account);
  if (!parsed) parsedCache.set(ctx.account, (parsed = new Map()));
  const missing = blobIds.filter((b) => !parsed!.has(b));
  for (let i = 0; i < missing.length; i += QUERY_PARSE_BATCH) {
    const summaries = await ctx.messages.readSummaries(ctx.account, missing.slice(i, i + QUERY_PARSE_BATCH));
    for (const [blobId, summary] of summaries) {
      const c = convenienceProperties(rawHeaders(summary.header)) as { from: EmailAddress[] | null; to: EmailAddress[] | null; subject: string | null; sentAt: string | null };
      parsed.set(blobId, { from: firstAddress(c.from), to: firstAddress(c.to), subject: c.subject ?? '', sentAt: c.sentAt === null ? null : Date.parse(c.sentAt), hasAttachment: summary.hasAttachment });
    }
  }
  return parsed;
}

/** RFC 8621 §4.4.2: the name of the first address, else its email, else ''. */
function firstAddress(list: readonly EmailAddress[] | null): string {
  const first = list?.[0];
  return first ? first.name ?? first.email : '';
}

// FETCH and UID FETCH: metadata from the message rows, bytes decrypted in batches (only the
// sealed summaries' headers when the items need no more). A
// non-PEEK body fetch in a read-write mailbox sets \Seen first, so the FLAGS the engine adds
// to the response show it. Responses go out as each batch is ready, with backpressure, while
// the next batch is read.
import { once } from 'node:events';
import type { MessageMeta } from '../../services/message-service.js';
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, FetchQueryItem, HookResult } from './engine.js';
import { plainFetchLine, plainItemNames } from './fetch-lines.js';
import { fetchValues, needsBody, needsHeaderOnly } from './fetch-values.js';
import { FETCH_LINES_PER_WRITE, IMAP_FETCH_BATCH, IMAP_FETCH_HEADER_BATCH, IMAP_FETCH_META_BATCH } from './limits.js';
import { answer } from './replies.js';
import { isSelection, type Selection } from './selection.js';

export interface FetchOptions {
  messages: number[];
  query: FetchQueryItem[];
  markAsSeen: boolean;
  changedSince: number;
  isUid: boolean;
}

export function onFetch(ctx: ImapContext) {
  return (mailbox: unknown, options: FetchOptions, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, 'FETCH', async () => {
      if (!isSelection(mailbox)) return 'NONEXISTENT';
      await fetch(ctx, mailbox, options, session);
      return true;
    }, callback);
  };
}

async function fetch(ctx: ImapContext, sel: Selection, options: FetchOptions, session: EngineSession): Promise<void> {
  const account = accountOf(ctx, session);
  const withBody = needsBody(options.query);
  const plain = plainItemNames(options.query);
  // Header-only queries (ENVELOPE, header fields: what clients list mailboxes with) read the
  // stored summaries, not the whole messages.
  const headerOnly = withBody && needsHeaderOnly(options.query);
  const batch = !withBody ? IMAP_FETCH_META_BATCH : headerOnly ? IMAP_FETCH_HEADER_BATCH : IMAP_FETCH_BATCH;
  const load = (i: number): Promise<Array<MessageMeta & { raw?: Uint8Array }>> => {
    const uids = options.messages.slice(i, i + batch);
    const rows = !withBody ? ctx.messages.listByUid(account, sel.mailboxId, uids)
      : headerOnly ? ctx.messages.fetchHeaders(account, sel.mailboxId, uids) : ctx.messages.fetch(account, sel.mailboxId, uids);
    // Awaited below; until then a failure must not count as unhandled.
    rows.catch(() => {});
    return rows;
  };
  // The next batch is read from the database while this one is answered.
  let next = load(0);
  for (let i = 0; i < options.messages.length; i += batch) {
    let rows = await next;
    if (i + batch < options.messages.length) next = load(i + batch);
    if (options.changedSince) rows = rows.filter((m) => m.modseq > options.changedSince);
    if (options.markAsSeen) rows = await markSeen(ctx, sel, rows, session);
    // Metadata-only lines are written as text, many per write; the rest through the engine.
    let lines: string[] = [];
    const flushLines = async (): Promise<void> => {
      if (lines.length === 0) return;
      const compiled = lines.join('\r\n');
      lines = [];
      if (!session.writeStream.write({ compiled })) await once(session.writeStream, 'drain');
    };
    for (const row of rows) {
      const line = plain && session.selected ? plainFetchLine(session.selected, options.query, plain, row) : undefined;
      // A message expunged and already reported to this client is skipped.
      if (line === null) continue;
      if (line !== undefined) {
        lines.push(line);
        if (lines.length >= FETCH_LINES_PER_WRITE) await flushLines();
        continue;
      }
      await flushLines();
      const response = session.formatResponse('FETCH', row.uid, { query: options.query, values: fetchValues(options.query, row, row.raw, session) });
      if (!response) continue;
      if (!session.writeStream.write(response)) await once(session.writeStream, 'drain');
    }
    await flushLines();
  }
}

/** Adds \Seen to the rows that lack it; the updated rows carry their new flags and modseq. */
async function markSeen<T extends MessageMeta>(ctx: ImapContext, sel: Selection, rows: T[], session: EngineSession): Promise<T[]> {
  const unseen = rows.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
  if (unseen.length === 0) return rows;
  const { updated } = await ctx.messages.store(accountOf(ctx, session), sel.mailboxId, unseen, 'add', ['\\Seen']);
  const byUid = new Map(updated.map((m) => [m.uid, m]));
  for (const m of updated) sel.ownChanges.set(m.uid, m.modseq);
  return rows.map((m) => {
    const u = byUid.get(m.uid);
    return u ? { ...m, flags: u.flags, modseq: u.modseq } : m;
  });
}

// SEARCH and UID SEARCH: the engine parses the RFC 3501 grammar; the criteria are evaluated
// over the mailbox's rows, with text criteria answered by MessageService.search. Only UTF-8
// (and its subset US-ASCII) is accepted as CHARSET: others get NO [BADCHARSET].
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { headerValue } from './body-sections.js';
import { IMAP_FETCH_BATCH } from './limits.js';
import { answer } from './replies.js';
import { charsetOf, matches, sentDay, textLookups, usesSentDate, type SearchInputs, type SearchQuery } from './search-query.js';
import { isSelection, type Selection } from './selection.js';

interface SearchOptions {
  query: SearchQuery;
  terms: string[];
  isUid: boolean;
}

interface SearchResult {
  uidList: number[] | string;
  highestModseq?: number;
}

export function onSearch(ctx: ImapContext) {
  return (mailbox: unknown, options: SearchOptions, session: EngineSession, callback: (err: Error | null, result?: SearchResult) => void): void => {
    answer<[SearchResult]>(
      ctx.logger,
      'SEARCH',
      async () => (isSelection(mailbox) ? [true, await search(ctx, mailbox, options.query, session)] : 'NONEXISTENT'),
      (err, result, found) => callback(err, result === true ? found : { uidList: result ?? 'UNAVAILABLE' }),
    );
  };
}

async function search(ctx: ImapContext, sel: Selection, query: SearchQuery, session: EngineSession): Promise<SearchResult> {
  const charset = charsetOf(query);
  if (charset !== undefined && !/^(utf-?8|us-ascii)$/i.test(charset)) return { uidList: 'BADCHARSET' };
  const account = accountOf(ctx, session);
  const selected = session.selected;
  const rows = (await ctx.messages.list(account, sel.mailboxId)).filter((m) => selected && selected.uidList.has(m.uid));
  const inputs: SearchInputs = { text: new Map(), sentDay: new Map() };
  for (const [key, lookup] of textLookups(query)) {
    inputs.text.set(key, new Set(await ctx.messages.search(account, sel.mailboxId, lookup.criterion, lookup.value)));
  }
  if (usesSentDate(query)) {
    const uids = rows.map((m) => m.uid);
    for (let i = 0; i < uids.length; i += IMAP_FETCH_BATCH) {
      for (const m of await ctx.messages.fetch(account, sel.mailboxId, uids.slice(i, i + IMAP_FETCH_BATCH))) {
        const day = sentDay(headerValue(m.raw, 'date'));
        if (day !== undefined) inputs.sentDay.set(m.uid, day);
      }
    }
  }
  const found = rows.filter((m) => matches(query, m, inputs));
  return { uidList: found.map((m) => m.uid), highestModseq: found.reduce((h, m) => Math.max(h, m.modseq), 0) };
}

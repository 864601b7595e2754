// SELECT and EXAMINE: the mailbox's UIDs, UIDVALIDITY (from a sequence, never reused),
// UIDNEXT and HIGHESTMODSEQ, and every keyword in use so the untagged FLAGS lists them. UIDs
// and keywords come from the process's SelectCache; the session's UID list is a copy-on-write
// view of the cached snapshot.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { answer } from './replies.js';
import { selectCacheOf } from './select-cache.js';
import { Selection } from './selection.js';
import { UidList } from './uid-list.js';

export interface OpenedMailbox {
  _id: Selection;
  uidList: UidList;
  uidValidity: number;
  uidNext: number;
  modifyIndex: number;
  flags: string[];
}

export function onOpen(ctx: ImapContext) {
  return (path: string, session: EngineSession, callback: (err: Error | null, result?: OpenedMailbox | string) => void): void => {
    answer<[OpenedMailbox]>(
      ctx.logger,
      'SELECT',
      async () => {
        const account = accountOf(ctx, session);
        const mailbox = await ctx.mailboxes.selectable(account, path);
        const { uids, keywords } = await selectCacheOf(ctx.messages).state(ctx.messages, account, mailbox);
        const selection = new Selection(session, mailbox.id, mailbox.uidvalidity, keywords);
        return [true, { _id: selection, uidList: new UidList(uids), uidValidity: mailbox.uidvalidity, uidNext: mailbox.uidnext, modifyIndex: mailbox.highestmodseq, flags: [...keywords] }];
      },
      (err, result, opened) => callback(err, result === true ? opened : result),
    );
  };
}

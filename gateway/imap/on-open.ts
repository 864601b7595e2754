// SELECT and EXAMINE: the mailbox's UIDs, UIDVALIDITY (from a sequence, never reused),
// UIDNEXT and HIGHESTMODSEQ, and every keyword in use so the untagged FLAGS lists them.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { answer } from './replies.js';
import { Selection } from './selection.js';

export interface OpenedMailbox {
  _id: Selection;
  uidList: number[];
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
        const mailbox = await ctx.mailboxes.byName(account, path);
        const { uids, keywords } = await ctx.messages.selectInfo(account, mailbox.id);
        const selection = new Selection(session, mailbox.id, mailbox.uidvalidity, keywords);
        return [true, { _id: selection, uidList: uids, uidValidity: mailbox.uidvalidity, uidNext: mailbox.uidnext, modifyIndex: mailbox.highestmodseq, flags: keywords }];
      },
      (err, result, opened) => callback(err, result === true ? opened : result),
    );
  };
}

// EXPUNGE, UID EXPUNGE and the implicit expunge of CLOSE: removes the messages flagged
// \Deleted and answers an untagged EXPUNGE for each one this client knows of.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';
import { isSelection } from './selection.js';

export interface ExpungeOptions {
  isUid: boolean;
  messages?: number[];
  /** CLOSE: the mailbox is already deselected, nothing is reported. */
  silent?: boolean;
}

export function onExpunge(ctx: ImapContext) {
  return (mailbox: unknown, options: ExpungeOptions, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, 'EXPUNGE', async () => {
      if (!isSelection(mailbox)) return 'NONEXISTENT';
      const gone = await ctx.messages.expunge(accountOf(ctx, session), mailbox.mailboxId, options.isUid ? options.messages ?? [] : undefined);
      if (!options.silent && session.selected && session.selected.mailbox === mailbox) {
        // Ascending UIDs: each response's sequence number already counts the ones before it.
        for (const uid of gone) {
          const response = session.formatResponse('EXPUNGE', uid);
          if (response) session.writeStream.write(response);
        }
      }
      return true;
    }, callback);
  };
}

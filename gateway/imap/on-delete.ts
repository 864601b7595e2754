// DELETE: a mailbox without a role and its messages; role mailboxes answer NO [CANNOT].
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';

export function onDelete(ctx: ImapContext) {
  return (path: string, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, 'DELETE', async () => {
      const account = accountOf(ctx, session);
      const mailbox = await ctx.mailboxes.byName(account, path);
      await ctx.mailboxes.delete(account, mailbox.id);
      return true;
    }, callback);
  };
}

// RENAME: a new name for a mailbox (UIDVALIDITY and UIDs unchanged). Children are not moved
// with their parent yet: names are flat strings with "/" in them.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';

export function onRename(ctx: ImapContext) {
  return (path: string, newName: string, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, 'RENAME', async () => {
      const account = accountOf(ctx, session);
      const mailbox = await ctx.mailboxes.byName(account, path);
      await ctx.mailboxes.rename(account, mailbox.id, newName);
      return true;
    }, callback);
  };
}

// CREATE: a new mailbox under the session's key (name sealed, keyed hash for uniqueness).
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';

export function onCreate(ctx: ImapContext) {
  return (path: string, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, 'CREATE', async () => {
      await ctx.mailboxes.create(accountOf(ctx, session), path);
      return true;
    }, callback);
  };
}

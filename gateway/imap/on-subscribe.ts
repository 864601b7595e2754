// SUBSCRIBE and UNSUBSCRIBE: the subscribed flag LSUB filters on.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';

function hook(ctx: ImapContext, subscribed: boolean) {
  return (path: string, session: EngineSession, callback: (err: Error | null, result?: HookResult) => void): void => {
    answer(ctx.logger, subscribed ? 'SUBSCRIBE' : 'UNSUBSCRIBE', async () => {
      const account = accountOf(ctx, session);
      const mailbox = await ctx.mailboxes.byName(account, path);
      await ctx.mailboxes.setSubscribed(account, mailbox.id, subscribed);
      return true;
    }, callback);
  };
}

export const onSubscribe = (ctx: ImapContext) => hook(ctx, true);
export const onUnsubscribe = (ctx: ImapContext) => hook(ctx, false);

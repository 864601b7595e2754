// STATUS: counts and UID state of a mailbox without selecting it. RECENT is always 0 (the
// engine fills it in), as RFC 9051 dropped \Recent.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { answer } from './replies.js';

interface StatusValues {
  messages: number;
  uidnext: number;
  uidvalidity: number;
  unseen: number;
  highestmodseq: number;
}

export function onStatus(ctx: ImapContext) {
  return (path: string, session: EngineSession, callback: (err: Error | null, result?: StatusValues | string) => void): void => {
    answer<[StatusValues]>(
      ctx.logger,
      'STATUS',
      async () => {
        const m = await ctx.mailboxes.byName(accountOf(ctx, session), path);
        return [true, { messages: m.messages, uidnext: m.uidnext, uidvalidity: m.uidvalidity, unseen: m.unseen, highestmodseq: m.highestmodseq }];
      },
      (err, result, values) => callback(err, result === true ? values : result),
    );
  };
}

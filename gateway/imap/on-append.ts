// APPEND: stores the literal byte for byte under the mailbox key and answers APPENDUID
// (RFC 4315). A missing mailbox gets NO [TRYCREATE] so clients offer to create it. The new
// message reaches a session that has the mailbox selected as EXISTS through the notifier.
import { isServiceError } from '../../services/errors.js';
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';

export function onAppend(ctx: ImapContext) {
  return (
    path: string, flags: string[], internalDate: string | false, raw: Buffer, session: EngineSession,
    callback: (err: Error | null, result?: HookResult, info?: { uidValidity: number; uid: number }) => void,
  ): void => {
    answer<[{ uidValidity: number; uid: number }]>(ctx.logger, 'APPEND', async () => {
      const account = accountOf(ctx, session);
      let mailbox;
      try {
        mailbox = await ctx.mailboxes.byName(account, path);
      } catch (err) {
        if (isServiceError(err, 'mailbox_not_found')) return 'TRYCREATE';
        throw err;
      }
      // The engine has checked the date-time syntax (RFC 3501 date-time), which Date parses.
      const date = internalDate ? new Date(internalDate) : undefined;
      const stored = await ctx.messages.append(account, mailbox.id, raw, { flags, ...(date ? { internalDate: date } : {}) });
      return [true, { uidValidity: mailbox.uidvalidity, uid: stored.uid }];
    }, callback);
  };
}

// APPEND: stores the literal byte for byte under the mailbox key and answers APPENDUID
// (RFC 4315). A missing mailbox gets NO [TRYCREATE] so clients offer to create it. When the
// mailbox is this connection's selected one, its EXISTS comes before the tagged OK; other
// sessions learn of it through the notifier.
import { isServiceError } from '../../services/errors.js';
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';
import { announceAppended } from './updates.js';

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
      announceAppended(session, mailbox.id, stored.uid, stored.modseq);
      return [true, { uidValidity: mailbox.uidvalidity, uid: stored.uid }];
    }, callback);
  };
}

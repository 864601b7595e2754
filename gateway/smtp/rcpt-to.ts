// RCPT TO on the MX: a recipient must resolve to an active user (address, alias or LNMP
// address); on a hosted domain an unknown one is 550 5.1.1, and any other domain is
// refused as relaying (554 5.7.1): the MX never relays.
import type { SMTPServerAddress } from 'smtp-server';
import type { MxContext } from './context.js';
import { replies, replyForError } from './replies.js';

export async function onRcptTo(ctx: MxContext, rcpt: SMTPServerAddress): Promise<void> {
  try {
    const user = await ctx.accounts.resolveAddress(rcpt.address);
    if (user) {
      ctx.recipients.set(rcpt, user.userId);
      return;
    }
    const at = rcpt.address.lastIndexOf('@');
    const hosted = at !== -1 && (await ctx.accounts.isHostedDomain(rcpt.address.slice(at + 1)));
    throw hosted ? replies.unknownUser() : replies.relayDenied();
  } catch (err) {
    const reply = replyForError(err);
    if (reply.temporary) ctx.logger.warn('rcpt failed', { reply: reply.line, err });
    throw reply;
  }
}

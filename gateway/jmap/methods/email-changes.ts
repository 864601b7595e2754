// Email/changes (RFC 8621 §4.3): the Emails created, updated or destroyed since a state, from
// the account's change journal, the one IMAP's CONDSTORE/QRESYNC read too.
import { MAIL } from '../capabilities.js';
import { collectChanges, sinceModseq, type ChangeEntry } from '../changes.js';
import { emailIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

export const emailChanges = defineMethod('Email/changes', MAIL, ChangesArgs, async (args, ctx) => {
  const { modseq, changes } = await ctx.messages.changesSince(ctx.account, sinceModseq(args.sinceState));
  const entries: ChangeEntry[] = changes
    .filter((c) => c.kind === 'email' && c.mailboxId !== null && c.uid !== null)
    .map((c) => ({ modseq: c.modseq, id: emailIdOf(c.mailboxId!, c.uid!), op: c.op }));
  const r = collectChanges(args.sinceState, entries, modseq, args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: r.hasMoreChanges, created: r.created, updated: r.updated, destroyed: r.destroyed };
});

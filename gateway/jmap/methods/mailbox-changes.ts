// Mailbox/changes (RFC 8621 §2.2): mailboxes created, renamed, (un)subscribed or deleted
// since a state, and those whose Emails changed, which only changes their counts
// (`updatedProperties` then names the four counts, as §2.2 allows).
import { MAIL } from '../capabilities.js';
import { collectChanges, sinceModseq, type ChangeEntry } from '../changes.js';
import { mailboxIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

export const COUNT_PROPERTIES = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'] as const;

export const mailboxChanges = defineMethod('Mailbox/changes', MAIL, ChangesArgs, async (args, ctx) => {
  const { modseq, changes } = await ctx.messages.changesSince(ctx.account, sinceModseq(args.sinceState));
  const entries: ChangeEntry[] = changes.flatMap((c): ChangeEntry[] => {
    if (c.kind === 'mailbox') return [{ modseq: c.modseq, id: mailboxIdOf(c.objectId), op: c.op }];
    return c.mailboxId === null ? [] : [{ modseq: c.modseq, id: mailboxIdOf(c.mailboxId), op: 'updated', countsOnly: true }];
  });
  const r = collectChanges(args.sinceState, entries, modseq, args.maxChanges);
  return {
    accountId: ctx.accountId,
    oldState: r.oldState,
    newState: r.newState,
    hasMoreChanges: r.hasMoreChanges,
    created: r.created,
    updated: r.updated,
    destroyed: r.destroyed,
    updatedProperties: r.updated.length > 0 && r.countsOnly ? [...COUNT_PROPERTIES] : null,
  };
});

// Mailbox/queryChanges (RFC 8621 §2.4, RFC 8620 §5.6): only "nothing changed" is answered. A
// query state is the account's modseq, and the journal keeps which mailboxes changed but not
// where they stood in a sorted, filtered list before, so the removed/added positions of an older
// state cannot be told; it answers cannotCalculateChanges and the client queries again.
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { currentModseq } from '../context.js';
import { MethodError } from '../errors.js';
import { defineMethod } from '../method.js';
import { parseState, stateOf } from '../state.js';
import { AccountId, Id, UnsignedInt } from './args.js';
import { filterOf, MailboxComparator, matchingIds, sortOf } from './mailbox-query.js';

const Args = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(MailboxComparator).nullish(),
  sinceQueryState: z.string(),
  maxChanges: UnsignedInt.min(1).nullish(),
  upToId: Id.nullish(),
  calculateTotal: z.boolean().optional(),
});

export const mailboxQueryChanges = defineMethod('Mailbox/queryChanges', MAIL, Args, async (args, ctx) => {
  const filter = filterOf(args.filter);
  const sort = sortOf(args.sort);
  const current = await currentModseq(ctx);
  if (parseState(args.sinceQueryState) !== current) throw new MethodError('cannotCalculateChanges', 'query changes are not kept; run Mailbox/query again');
  const total = args.calculateTotal ? { total: (await matchingIds(ctx, filter, sort)).length } : {};
  return { accountId: ctx.accountId, oldQueryState: args.sinceQueryState, newQueryState: stateOf(current), ...total, removed: [], added: [] };
});

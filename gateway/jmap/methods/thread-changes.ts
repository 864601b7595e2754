// Thread/changes (RFC 8621 §3.2): only "nothing changed" is answered. Threading at unlock
// (MessageService.rewrapPending) merges threads and gives messages new thread ids without a
// journal row, so which Threads went away since an older state cannot be told; any other
// state answers cannotCalculateChanges and the client gets its Threads again.
import { MAIL } from '../capabilities.js';
import { sinceModseq } from '../changes.js';
import { currentModseq } from '../context.js';
import { MethodError } from '../errors.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { ChangesArgs } from './args.js';

export const threadChanges = defineMethod('Thread/changes', MAIL, ChangesArgs, async (args, ctx) => {
  const since = sinceModseq(args.sinceState);
  const current = await currentModseq(ctx);
  if (since !== current) throw new MethodError('cannotCalculateChanges', 'thread changes are not journaled; get the Threads again');
  return { accountId: ctx.accountId, oldState: args.sinceState, newState: stateOf(current), hasMoreChanges: false, created: [], updated: [], destroyed: [] };
});

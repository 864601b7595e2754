// Identity/changes (RFC 8621 §6.2): the one identity never changes, so any state of this account
// up to the current one answers with no changes (states share the account modseq, state.ts).
import { SUBMISSION } from '../capabilities.js';
import { collectChanges } from '../changes.js';
import { currentModseq } from '../context.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

export const identityChanges = defineMethod('Identity/changes', SUBMISSION, ChangesArgs, async (args, ctx) => {
  const r = collectChanges(args.sinceState, [], await currentModseq(ctx), args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: false, created: [], updated: [], destroyed: [] };
});

// Identity/changes (RFC 8621 §6.2): identities added, changed or removed since a state, from
// IdentityService's modseqs (states share the account modseq, state.ts).
import { SUBMISSION } from '../capabilities.js';
import { collectChanges, sinceModseq } from '../changes.js';
import { currentModseq } from '../context.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';
import { identityJmapId } from './identity-get.js';

export const identityChanges = defineMethod('Identity/changes', SUBMISSION, ChangesArgs, async (args, ctx) => {
  const since = sinceModseq(args.sinceState);
  const current = await currentModseq(ctx);
  const changes = (await ctx.submission?.()?.identities.changesSince(ctx.account, since)) ?? [];
  const entries = changes.map((c) => ({ modseq: c.modseq, op: c.op, id: identityJmapId(ctx, c.id) }));
  const r = collectChanges(args.sinceState, entries.filter((e) => e.modseq <= current), current, args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: r.hasMoreChanges, created: r.created, updated: r.updated, destroyed: r.destroyed };
});

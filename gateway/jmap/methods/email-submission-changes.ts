// EmailSubmission/changes (RFC 8621 §7.2): submissions made, changed or destroyed since a
// state (states share the account modseq, state.ts).
import { SUBMISSION } from '../capabilities.js';
import { collectChanges, sinceModseq } from '../changes.js';
import { currentModseq, submissionOf } from '../context.js';
import { submissionIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

export const emailSubmissionChanges = defineMethod('EmailSubmission/changes', SUBMISSION, ChangesArgs, async (args, ctx) => {
  const since = sinceModseq(args.sinceState);
  const current = await currentModseq(ctx);
  const changes = await submissionOf(ctx).submissions.changesSince(ctx.account, since);
  const entries = changes.filter((c) => c.modseq <= current).map((c) => ({ modseq: c.modseq, op: c.op, id: submissionIdOf(c.id) }));
  const r = collectChanges(args.sinceState, entries, current, args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: r.hasMoreChanges, created: r.created, updated: r.updated, destroyed: r.destroyed };
});

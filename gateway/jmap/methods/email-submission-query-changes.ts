// EmailSubmission/queryChanges (RFC 8620 §5.6, RFC 8621 §7.4): a submission's filtered and
// sorted properties never change (it is sent at once, `final`, and only destroyed), so only
// submissions created or destroyed since the old state entered or left the results: removed
// are those destroyed since (which may include some the filter never matched, as §5.6 allows),
// added those created since that match now, with their index. upToId leaves out additions past
// it. The state is the account's modseq, as for /changes.
import { z } from 'zod';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, submissionOf } from '../context.js';
import { MethodError } from '../errors.js';
import { submissionIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { parseState, stateOf } from '../state.js';
import { AccountId, Id, QueryArgs, UnsignedInt } from './args.js';
import { submissionsOf } from './email-submission-get.js';
import { filterOf, sortOf } from './email-submission-query.js';

const Args = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: QueryArgs.shape.sort,
  sinceQueryState: z.string(),
  maxChanges: UnsignedInt.min(1).nullish(),
  upToId: Id.nullish(),
  calculateTotal: z.boolean().optional(),
});

export const emailSubmissionQueryChanges = defineMethod('EmailSubmission/queryChanges', SUBMISSION, Args, async (args, ctx) => {
  const matches = filterOf(args.filter);
  const order = sortOf(args.sort);
  const since = parseState(args.sinceQueryState);
  const current = await currentModseq(ctx);
  if (since === undefined || since > current) throw new MethodError('cannotCalculateChanges', `${JSON.stringify(args.sinceQueryState)} is not a query state of this account`);
  const changes = (await submissionOf(ctx).submissions.changesSince(ctx.account, since)).filter((c) => c.modseq <= current);
  const ids = (await submissionsOf(ctx)).filter(matches).sort(order).map((s) => s['id'] as string);
  const index = new Map(ids.map((id, i) => [id, i]));
  const upTo = args.upToId ? index.get(args.upToId) : undefined;
  const removed: string[] = [];
  const added: Array<{ id: string; index: number }> = [];
  for (const c of changes) {
    const id = submissionIdOf(c.id);
    const at = index.get(id);
    // An update (none happen today) may have moved it: out, and in again where it is now.
    if (c.op !== 'created') removed.push(id);
    if (c.op !== 'destroyed' && at !== undefined && (upTo === undefined || at <= upTo)) added.push({ id, index: at });
  }
  added.sort((a, b) => a.index - b.index);
  if (args.maxChanges && removed.length + added.length > args.maxChanges) {
    throw new MethodError('tooManyChanges', `${removed.length + added.length} changes, more than maxChanges`);
  }
  return { accountId: ctx.accountId, oldQueryState: args.sinceQueryState, newQueryState: stateOf(current), ...(args.calculateTotal ? { total: ids.length } : {}), removed, added };
});

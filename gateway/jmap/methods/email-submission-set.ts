// EmailSubmission/set (RFC 8621 §7.5): create sends at once (email-submission-create.ts), so
// every submission is `final` and an update to cancel it is `cannotUnsend`; destroy forgets
// the record. After it, onSuccessUpdateEmail and onSuccessDestroyEmail (keyed by submission
// id or `#creationId`) run as an implicit Email/set whose response follows, same call id.
import { z } from 'zod';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, submissionOf } from '../context.js';
import { MethodError, type SetError } from '../errors.js';
import { parseSubmissionId } from '../ids.js';
import { defineMethod, withFollowUps } from '../method.js';
import { stateOf } from '../state.js';
import { createSubmission } from './email-submission-create.js';
import { submissionsOf } from './email-submission-get.js';
import { emailSet } from './email-set.js';
import { attemptSet, checkSet, SetArgs, SetRefused, setResult } from './set-args.js';

const Args = SetArgs.extend({
  onSuccessUpdateEmail: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
  onSuccessDestroyEmail: z.array(z.string()).nullish(),
});

export const emailSubmissionSet = defineMethod('EmailSubmission/set', SUBMISSION, Args, async (args, ctx) => {
  const { submissions } = submissionOf(ctx);
  const oldState = stateOf(await currentModseq(ctx));
  checkSet(args, oldState);
  /** Submission id (and `#creationId`) → the Email it sent, for the onSuccess actions. */
  const emailOf = new Map<string, string>();

  const created: Record<string, Record<string, unknown>> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [creationId, object] of Object.entries(args.create ?? {})) {
    await attemptSet(notCreated, creationId, async () => {
      const { emailId, ...submission } = await createSubmission(ctx, object);
      const id = submission['id'] as string;
      created[creationId] = submission;
      ctx.createdIds.set(creationId, id);
      emailOf.set(`#${creationId}`, emailId as string).set(id, emailId as string);
    });
  }

  const existing = new Map((await submissionsOf(ctx)).map((s) => [s['id'] as string, s['emailId'] as string]));
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      if (!existing.has(id)) throw new SetRefused({ type: 'notFound' });
      const unknown = Object.keys(patch).find((k) => k !== 'undoStatus');
      if (unknown !== undefined) throw new SetRefused({ type: 'invalidProperties', properties: [unknown], description: `${unknown} cannot be changed` });
      if (patch['undoStatus'] !== 'canceled') throw new SetRefused({ type: 'invalidProperties', properties: ['undoStatus'], description: 'undoStatus can only become canceled' });
      throw new SetRefused({ type: 'cannotUnsend', description: 'the message was sent at once; it cannot be recalled' });
    });
  }

  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  for (const id of new Set(args.destroy ?? [])) {
    await attemptSet(notDestroyed, id, async () => {
      const rowId = parseSubmissionId(id);
      if (rowId === undefined || !(await submissions.destroy(ctx.account, rowId))) throw new SetRefused({ type: 'notFound' });
      emailOf.set(id, existing.get(id)!);
      destroyed.push(id);
    });
  }

  const result = { accountId: ctx.accountId, oldState, newState: stateOf(await currentModseq(ctx)), ...setResult({ created, updated, destroyed, notCreated, notUpdated, notDestroyed }) };
  return withFollowUps(result, await onSuccess(args, emailOf, ctx));
});

/** The implicit Email/set of the onSuccess arguments, for the submissions that succeeded; none when there is nothing to do. */
async function onSuccess(
  args: { accountId: string; onSuccessUpdateEmail?: Record<string, Record<string, unknown>> | null | undefined; onSuccessDestroyEmail?: string[] | null | undefined },
  emailOf: ReadonlyMap<string, string>,
  ctx: Parameters<typeof emailSet.call>[1],
): Promise<Array<[string, Record<string, unknown>]>> {
  const update: Record<string, Record<string, unknown>> = {};
  for (const [id, patch] of Object.entries(args.onSuccessUpdateEmail ?? {})) {
    const emailId = emailOf.get(id);
    if (emailId !== undefined) update[emailId] = patch;
  }
  const destroy = (args.onSuccessDestroyEmail ?? []).flatMap((id) => emailOf.get(id) ?? []);
  if (Object.keys(update).length === 0 && destroy.length === 0) return [];
  try {
    return [['Email/set', await emailSet.call({ accountId: args.accountId, update, destroy }, ctx)]];
  } catch (err) {
    if (err instanceof MethodError) return [['error', err.toJSON()]];
    throw err;
  }
}

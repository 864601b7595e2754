// EmailSubmission/get (RFC 8621 §7.1): the submissions this account made and did not destroy.
// Sending is immediate (maxDelayedSend 0): every submission is `final`; DSN and MDN blobs are
// not collected.
import { z } from 'zod';
import type { SubmissionRecord } from '../../../services/email-submission-service.js';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, submissionOf, type MethodContext } from '../context.js';
import { utcDate } from '../email-content.js';
import { submissionIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, pickObjects, propertiesOf } from './args.js';

const PROPERTIES = ['id', 'identityId', 'emailId', 'threadId', 'envelope', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'];
const KNOWN = new Set(PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const emailSubmissionGet = defineMethod('EmailSubmission/get', SUBMISSION, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const state = stateOf(await currentModseq(ctx));
  const all = new Map((await submissionsOf(ctx)).map((s) => [s['id'] as string, s]));
  return { accountId: ctx.accountId, state, ...pickObjects(all, args.ids, properties, PROPERTIES) };
});

/** Every submission of the account as JMAP objects, oldest first. */
export async function submissionsOf(ctx: MethodContext): Promise<Array<Record<string, unknown>>> {
  return (await submissionOf(ctx).submissions.list(ctx.account)).map(submissionObject);
}

export function submissionObject(s: SubmissionRecord): Record<string, unknown> {
  return {
    id: submissionIdOf(s.id), identityId: s.identityId, emailId: s.emailId, threadId: s.threadId, envelope: s.envelope,
    sendAt: utcDate(s.sendAt), undoStatus: s.undoStatus, deliveryStatus: s.deliveryStatus, dsnBlobIds: [], mdnBlobIds: [],
  };
}

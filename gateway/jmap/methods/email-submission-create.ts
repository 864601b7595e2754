// One EmailSubmission/set create (RFC 8621 §7.5): the identity and Email it names (either may
// be a `#creationId` of this request), the envelope given or derived from the Email's header
// (mailFrom: Sender, else From; rcptTo: To, Cc and Bcc, deduplicated), the recipient count
// checked, then EmailSubmissionService sends and records it. Each refusal is the SetError
// RFC 8621 names for it.
import { z } from 'zod';
import type { SendRefusal, SubmissionEnvelope } from '../../../services/email-submission-service.js';
import { resolveCreationId, submissionOf, type MethodContext } from '../context.js';
import { readEmailContent, type EmailAddress } from '../email-content.js';
import { emailsOf } from '../emails.js';
import type { SetError } from '../errors.js';
import { emailIdOf, parseEmailId, threadIdOf } from '../ids.js';
import { MAX_SUBMISSION_RECIPIENTS } from '../limits.js';
import { identitiesOf } from './identity-get.js';
import { parseObject, SetRefused } from './set-args.js';
import { submissionObject } from './email-submission-get.js';

const Parameters = z.record(z.string(), z.string().nullable()).nullable();
const EnvelopeAddress = z.strictObject({ email: z.string().min(1).max(255), parameters: Parameters.optional() });
const Create = z.strictObject({
  identityId: z.string(),
  emailId: z.string(),
  envelope: z.strictObject({ mailFrom: EnvelopeAddress, rcptTo: z.array(EnvelopeAddress) }).nullish(),
});

const REFUSALS: Record<SendRefusal['reason'], SetError['type']> = { mailFrom: 'forbiddenMailFrom', from: 'forbiddenFrom', recipients: 'invalidRecipients', forbidden: 'forbiddenToSend' };

/** Sends and records one submission; returns its created object (with the Email id it sent). @throws SetRefused */
export async function createSubmission(ctx: MethodContext, object: Record<string, unknown>): Promise<Record<string, unknown>> {
  const input = parseObject(Create, object);
  const identityId = resolveCreationId(ctx, input.identityId);
  if (identityId === undefined || !(await identitiesOf(ctx)).some((i) => i['id'] === identityId)) throw invalid('identityId', 'no such identity');
  const blobId = parseEmailId(resolveCreationId(ctx, input.emailId));
  const email = blobId === undefined ? undefined : (await emailsOf(ctx, [blobId])).get(blobId);
  const raw = email ? await ctx.messages.readBlob(ctx.account, email.blobId) : undefined;
  if (!email || !raw) throw invalid('emailId', 'no such Email');

  const content = await readEmailContent(raw);
  const from = content.from?.[0]?.email;
  if (!from) throw new SetRefused({ type: 'invalidEmail', properties: ['from'], description: 'the Email has no From address' });
  const envelope: SubmissionEnvelope = input.envelope
    ? { mailFrom: { email: input.envelope.mailFrom.email, parameters: input.envelope.mailFrom.parameters ?? null }, rcptTo: input.envelope.rcptTo.map((r) => ({ email: r.email, parameters: r.parameters ?? null })) }
    : derivedEnvelope(content.sender?.[0]?.email ?? from, [content.to, content.cc, content.bcc]);
  if (envelope.rcptTo.length === 0) throw new SetRefused({ type: 'noRecipients', description: 'the submission has no recipients' });
  if (envelope.rcptTo.length > MAX_SUBMISSION_RECIPIENTS) {
    throw new SetRefused({ type: 'tooManyRecipients', maxRecipients: MAX_SUBMISSION_RECIPIENTS, description: `at most ${MAX_SUBMISSION_RECIPIENTS} recipients per submission` });
  }

  const { submissions } = submissionOf(ctx);
  const sent = await submissions.send(ctx.account, { raw, envelope, from });
  if (!sent.ok) {
    const type = REFUSALS[sent.reason];
    throw new SetRefused(sent.reason === 'recipients' ? { type, invalidRecipients: sent.invalid } : { type, description: sent.description });
  }
  const record = await submissions.record(ctx.account, {
    id: sent.submissionId, identityId, emailId: emailIdOf(email.blobId), threadId: threadIdOf(email.latest.threadId), undoStatus: 'final', envelope, deliveryStatus: sent.deliveryStatus,
  });
  return submissionObject(record);
}

/** RFC 8621 §7.5: mailFrom from Sender or From, rcptTo the To, Cc and Bcc addresses once each, without parameters. */
function derivedEnvelope(mailFrom: string, lists: ReadonlyArray<readonly EmailAddress[] | null>): SubmissionEnvelope {
  const seen = new Set<string>();
  const rcptTo: Array<{ email: string; parameters: null }> = [];
  for (const a of lists.flatMap((l) => l ?? [])) {
    const key = a.email.toLowerCase();
    if (a.email === '' || seen.has(key)) continue;
    seen.add(key);
    rcptTo.push({ email: a.email, parameters: null });
  }
  return { mailFrom: { email: mailFrom, parameters: null }, rcptTo };
}

function invalid(property: string, description: string): SetRefused {
  return new SetRefused({ type: 'invalidProperties', properties: [property], description });
}

// What the outbound queue learned about one recipient of an EmailSubmission (migration 016):
// delivered (`yes`, the receiving server's reply), failed for good (`no`, the failure reply) or
// still queued after a temporary failure (the last reply). The queue works without the
// sender's keys, so it seals each outcome to the user's PUBLIC key (core seal, padded) with
// the user, submission and outbound row ids as additional data: only the user's private key
// opens it, and a row moved to another user, submission or recipient row does not open.
import { fromUtf8, isLnmpError, open as openSealed, seal, utf8, type Rng } from '../core/index.js';
import { ServiceError } from './errors.js';

export interface SubmissionOutcome {
  readonly recipient: string;
  readonly delivered: 'queued' | 'yes' | 'no';
  readonly smtpReply: string;
}

export interface OutcomeIds {
  readonly userId: number;
  readonly submissionId: number;
  /** The outbound row of the recipient. */
  readonly outboundId: number;
}

const context = (ids: OutcomeIds) => utf8(`email-submission-outcome:${ids.userId}:${ids.submissionId}:${ids.outboundId}`);

export function sealOutcome(publicKey: string, ids: OutcomeIds, outcome: SubmissionOutcome, rng: Rng): Uint8Array {
  const value = { recipient: outcome.recipient, delivered: outcome.delivered, smtpReply: outcome.smtpReply };
  return utf8(JSON.stringify(seal(utf8(JSON.stringify(value)), [publicKey], rng, { aad: context(ids) })));
}

/** @throws ServiceError integrity when the data was changed, moved or is not an outcome. */
export function openOutcome(privateKey: Uint8Array, ids: OutcomeIds, data: Uint8Array): SubmissionOutcome {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(openSealed(JSON.parse(fromUtf8(data)), privateKey, { aad: context(ids) })));
  } catch (cause) {
    if (isLnmpError(cause) || cause instanceof SyntaxError) {
      throw new ServiceError('integrity', `delivery outcome ${ids.outboundId} of submission ${ids.submissionId} does not open`, { cause });
    }
    throw cause;
  }
  const o = value as Partial<Record<keyof SubmissionOutcome, unknown>> | null;
  if (typeof o?.recipient !== 'string' || typeof o.smtpReply !== 'string' || (o.delivered !== 'queued' && o.delivered !== 'yes' && o.delivered !== 'no')) {
    throw new ServiceError('integrity', `delivery outcome ${ids.outboundId} of submission ${ids.submissionId} is malformed`);
  }
  return { recipient: o.recipient, delivered: o.delivered, smtpReply: o.smtpReply };
}

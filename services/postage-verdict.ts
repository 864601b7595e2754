// The hold flow's rules as one pure function: what to do with an active postage case given
// the state of its message in the recipient's mailbox and the clock (PostageService.reconcile
// applies the verdicts; services/postage-verdict.test.ts walks them).

/** The states of a postage case (migration 008); see postage-service.ts. */
export type CaseState = 'screened' | 'pending' | 'open' | 'held' | 'settled' | 'canceled' | 'expired' | 'approved';

/** What the recipient's mailbox says about a case's message. */
export interface MessageState {
  /** Copies not in Trash or Junk and not flagged \Deleted. */
  kept: number;
  /** Kept copies outside the Screener. */
  keptOutside: number;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
}

export type Verdict =
  | { action: 'none' }
  | { action: 'approve' | 'decline' | 'expire'; reason: string }
  | { action: 'settle' | 'cancel'; reason: string };

/** What to do with an active case, given its message's state (pure; the tests walk it). */
export function verdictFor(
  c: { state: CaseState; expiresAt: number | undefined; settleBy: number | undefined },
  m: MessageState,
  opts: { now: number; refundOnReply: boolean; defaultAction: 'settle' | 'cancel' },
): Verdict {
  if (c.state === 'screened' || c.state === 'open') {
    if (m.kept === 0) return { action: 'decline', reason: 'deleted by the recipient' };
    if (m.keptOutside > 0) return { action: 'approve', reason: 'moved out of the Screener by the recipient' };
    if (c.state === 'open' && c.expiresAt !== undefined && opts.now >= c.expiresAt) return { action: 'expire', reason: 'invoice expired unpaid' };
    return { action: 'none' };
  }
  if (c.state !== 'held') return { action: 'none' };
  if (m.kept === 0) return { action: 'cancel', reason: 'deleted or moved to Junk/Trash by the recipient' };
  if (m.answered) return opts.refundOnReply ? { action: 'cancel', reason: 'replied (refund on reply)' } : { action: 'settle', reason: 'replied' };
  if (m.flagged) return { action: 'settle', reason: 'flagged' };
  if (m.seen) return { action: 'settle', reason: 'read' };
  if (c.settleBy !== undefined && opts.now >= c.settleBy) return { action: opts.defaultAction, reason: 'deadline reached: default action' };
  return { action: 'none' };
}


/** A recipient's explicit decision on a case (JMAP Postage/set): keep and pay, or refuse. */
export type Decision = 'accept' | 'reject';

/**
 * What a decision does: the mailbox change that expresses it, the one the user could make
 * over IMAP (read the message; move it out of the Screener; put it in the Trash), so that
 * verdictFor reads the mailbox as agreeing; and the verdict applied at once. Undefined for
 * a case that is already decided.
 */
export function decisionFor(state: CaseState, decision: Decision): { mailbox: 'seen' | 'inbox' | 'trash'; verdict: Exclude<Verdict, { action: 'none' }> } | undefined {
  const accept = decision === 'accept';
  if (state === 'held') {
    return accept ? { mailbox: 'seen', verdict: { action: 'settle', reason: 'accepted by the recipient' } } : { mailbox: 'trash', verdict: { action: 'cancel', reason: 'rejected by the recipient' } };
  }
  if (state === 'screened' || state === 'pending' || state === 'open') {
    return accept ? { mailbox: 'inbox', verdict: { action: 'approve', reason: 'approved by the recipient' } } : { mailbox: 'trash', verdict: { action: 'decline', reason: 'rejected by the recipient' } };
  }
  return undefined;
}

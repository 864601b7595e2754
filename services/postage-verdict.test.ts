// What happens to a postage case given its message's state: the rules of the hold flow,
// walked one by one (services/postage-service.ts verdictFor).
import { describe, expect, it } from 'vitest';
import { decisionFor, verdictFor, type CaseState } from './postage-verdict.js';

const NOW = 1_000_000;
const opts = { now: NOW, refundOnReply: false, defaultAction: 'settle' as const };
const inScreener = { kept: 1, keptOutside: 0, seen: false, flagged: false, answered: false };
const inInbox = { ...inScreener, keptOutside: 1 };
const gone = { ...inScreener, kept: 0 };
const c = (state: CaseState, extra: { expiresAt?: number; settleBy?: number } = {}) => ({ state, expiresAt: extra.expiresAt, settleBy: extra.settleBy });

describe('verdictFor', () => {
  it('leaves a waiting Screener message alone, expires an unpaid invoice, approves a message moved out, declines a deleted one', () => {
    expect(verdictFor(c('open', { expiresAt: NOW + 1 }), inScreener, opts)).toEqual({ action: 'none' });
    expect(verdictFor(c('open', { expiresAt: NOW }), inScreener, opts)).toEqual({ action: 'expire', reason: 'invoice expired unpaid' });
    expect(verdictFor(c('screened'), inInbox, opts)).toEqual({ action: 'approve', reason: 'moved out of the Screener by the recipient' });
    expect(verdictFor(c('open'), gone, opts)).toEqual({ action: 'decline', reason: 'deleted by the recipient' });
  });

  it('settles held postage when the recipient reads, flags or replies; cancels when they delete', () => {
    const held = c('held', { settleBy: NOW + 1 });
    expect(verdictFor(held, inInbox, opts)).toEqual({ action: 'none' });
    expect(verdictFor(held, { ...inInbox, seen: true }, opts)).toEqual({ action: 'settle', reason: 'read' });
    expect(verdictFor(held, { ...inInbox, flagged: true }, opts)).toEqual({ action: 'settle', reason: 'flagged' });
    expect(verdictFor(held, { ...inInbox, answered: true }, opts)).toEqual({ action: 'settle', reason: 'replied' });
    expect(verdictFor(held, gone, opts)).toEqual({ action: 'cancel', reason: 'deleted or moved to Junk/Trash by the recipient' });
  });

  it('refunds on reply when the user asks for it, and applies the default action at the deadline', () => {
    const held = c('held', { settleBy: NOW });
    expect(verdictFor(held, { ...inInbox, answered: true, seen: true }, { ...opts, refundOnReply: true })).toEqual({ action: 'cancel', reason: 'replied (refund on reply)' });
    expect(verdictFor(held, inInbox, opts)).toEqual({ action: 'settle', reason: 'deadline reached: default action' });
    expect(verdictFor(held, inInbox, { ...opts, defaultAction: 'cancel' })).toEqual({ action: 'cancel', reason: 'deadline reached: default action' });
  });

  it('does nothing for finished cases', () => {
    for (const state of ['settled', 'canceled', 'expired', 'approved', 'pending'] as const) expect(verdictFor(c(state), gone, opts)).toEqual({ action: 'none' });
  });

  it('decides by hand what the mailbox change it makes would decide: read → settle, Trash → cancel or decline, out of the Screener → approve', () => {
    const after = { seen: { ...inInbox, seen: true }, inbox: inInbox, trash: gone } as const;
    for (const state of ['screened', 'open', 'held'] as const) {
      for (const decision of ['accept', 'reject'] as const) {
        const d = decisionFor(state, decision)!;
        expect(verdictFor(c(state, { expiresAt: NOW + 1, settleBy: NOW + 1 }), after[d.mailbox], opts).action, `${state} ${decision}`).toBe(d.verdict.action);
      }
    }
    expect(decisionFor('pending', 'accept')).toEqual({ mailbox: 'inbox', verdict: { action: 'approve', reason: 'approved by the recipient' } });
    expect(decisionFor('held', 'reject')).toEqual({ mailbox: 'trash', verdict: { action: 'cancel', reason: 'rejected by the recipient' } });
    for (const state of ['settled', 'canceled', 'expired', 'approved'] as const) expect(decisionFor(state, 'accept')).toBeUndefined();
  });
});

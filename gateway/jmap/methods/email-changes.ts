// Email/changes (RFC 8621 §4.3) by blob (ids.ts), from the account's change journal, the one
// IMAP's CONDSTORE/QRESYNC read too. For every Email (blob) touched since the state — a live
// row changed, or a row removed (journaled with its blob and creation modseq, migration 011) —
// it existed then if some row of it, live or removed, was created at or before the state, and
// exists now if a row is live: created (new, live), updated (old, live), destroyed (old, gone);
// new and gone already is left out. A state older than migration 011's journal rows (no blob
// recorded) answers cannotCalculateChanges and the client resynchronises.
import { MAIL } from '../capabilities.js';
import { collectChanges, sinceModseq, type ChangeEntry } from '../changes.js';
import { MethodError } from '../errors.js';
import { emailIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

interface Touched {
  existedBefore: boolean;
  live: boolean;
  /** The last modseq at which the Email changed. */
  modseq: number;
}

export const emailChanges = defineMethod('Email/changes', MAIL, ChangesArgs, async (args, ctx) => {
  const since = sinceModseq(args.sinceState);
  const { modseq, rows, journal } = await ctx.messages.emailChangesSince(ctx.account, since);
  const touched = new Map<number, Touched>();
  const touch = (blobId: number): Touched => {
    let t = touched.get(blobId);
    if (!t) touched.set(blobId, (t = { existedBefore: false, live: false, modseq: 0 }));
    return t;
  };
  for (const j of journal) {
    if (j.blobId === null || j.createdModseq === null) {
      throw new MethodError('cannotCalculateChanges', 'that state predates the journal this server keeps for Emails; get the Emails again');
    }
    const t = touch(j.blobId);
    t.existedBefore ||= j.createdModseq <= since;
    t.modseq = Math.max(t.modseq, j.modseq);
  }
  for (const r of rows) {
    const t = touch(r.blobId);
    t.live = true;
    t.existedBefore ||= r.createdModseq <= since;
    if (r.modseq > since) t.modseq = Math.max(t.modseq, r.modseq);
  }
  const entries: ChangeEntry[] = [];
  for (const [blobId, t] of touched) {
    if (t.modseq <= since) continue;
    if (t.live) entries.push({ modseq: t.modseq, id: emailIdOf(blobId), op: t.existedBefore ? 'updated' : 'created' });
    else if (t.existedBefore) entries.push({ modseq: t.modseq, id: emailIdOf(blobId), op: 'destroyed' });
  }
  entries.sort((a, b) => a.modseq - b.modseq);
  const r = collectChanges(args.sinceState, entries, modseq, args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: r.hasMoreChanges, created: r.created, updated: r.updated, destroyed: r.destroyed };
});

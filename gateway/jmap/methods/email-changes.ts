// Email/changes (RFC 8621 §4.3) by blob (ids.ts), from the account's change journal, the one
// IMAP's CONDSTORE/QRESYNC read too. A live row changed since the state makes its Email
// updated, or created when every row of the blob is newer than the state and none is the
// target of a move. A journal row of a removed message is accounted for by a move made at the
// same modseq (as many rows created then as removed: the Email lives on, updated) or by the
// blob markers removeBlobs writes (JMAP's own removals). A message expunged over IMAP (or with
// a deleted mailbox) leaves only its mailbox and UID, not its blob, so its Email cannot be
// named: such a state answers cannotCalculateChanges and the client resynchronises.
import { MAIL } from '../capabilities.js';
import { collectChanges, sinceModseq, type ChangeEntry } from '../changes.js';
import { MethodError } from '../errors.js';
import { emailIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { ChangesArgs } from './args.js';

export const emailChanges = defineMethod('Email/changes', MAIL, ChangesArgs, async (args, ctx) => {
  const since = sinceModseq(args.sinceState);
  const { modseq, rows, journal } = await ctx.messages.emailChangesSince(ctx.account, since);
  const removedAt = new Map<number, number>();
  const markedAt = new Set<number>();
  for (const j of journal) {
    if (j.mailboxId === null) markedAt.add(j.modseq);
    else if (j.op === 'destroyed') removedAt.set(j.modseq, (removedAt.get(j.modseq) ?? 0) + 1);
  }
  const createdAt = new Map<number, number>();
  for (const r of rows) if (r.createdModseq > since) createdAt.set(r.createdModseq, (createdAt.get(r.createdModseq) ?? 0) + 1);
  const moves = new Set<number>();
  for (const [at, removed] of removedAt) {
    if (markedAt.has(at)) continue;
    if (createdAt.get(at) !== removed) {
      throw new MethodError('cannotCalculateChanges', 'messages were expunged outside JMAP since that state; get the Emails again');
    }
    moves.add(at);
  }
  const isNew = new Map<number, boolean>();
  for (const r of rows) isNew.set(r.blobId, (isNew.get(r.blobId) ?? true) && r.createdModseq > since && !moves.has(r.createdModseq));
  const entries: ChangeEntry[] = [
    ...rows.filter((r) => r.modseq > since).map((r): ChangeEntry => ({ modseq: r.modseq, id: emailIdOf(r.blobId), op: isNew.get(r.blobId) ? 'created' : 'updated' })),
    ...journal.filter((j) => j.mailboxId === null).map((j): ChangeEntry => ({ modseq: j.modseq, id: emailIdOf(j.objectId), op: j.op })),
  ].sort((a, b) => a.modseq - b.modseq);
  const r = collectChanges(args.sinceState, entries, modseq, args.maxChanges);
  return { accountId: ctx.accountId, oldState: r.oldState, newState: r.newState, hasMoreChanges: r.hasMoreChanges, created: r.created, updated: r.updated, destroyed: r.destroyed };
});

// Email/queryChanges (RFC 8620 §5.6, RFC 8621 §4.5) from the change journal Email/changes
// reads. Only Emails changed since the old state can have entered, left or moved in the results;
// the query is run now and, for each changed Email, whether it was in the results then is told:
// - exact (filters and sorts on immutable properties and mailbox membership, which the journal
//   records row by row): removed are those that left, added those that entered, with their index;
//   with upToId, changes past it are left out;
// - touched (a keyword or size condition or sort: old keywords are not kept): every changed Email
//   that existed then is removed, and added again at its index if it matches now (§5.6 allows it);
// - none (thread conditions and sorts, collapseThreads): cannotCalculateChanges.
import { z } from 'zod';
import type { EmailJournalRow, EmailRow } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import type { MethodContext } from '../context.js';
import { loadFacts, type EmailFacts } from '../email-facts.js';
import { matchFilter, onlyMailboxConditions } from '../email-filter.js';
import { compareBy } from '../email-sort.js';
import { groupEmails } from '../emails.js';
import { MethodError } from '../errors.js';
import { emailIdOf, mailboxIdOf, parseEmailId } from '../ids.js';
import { defineMethod } from '../method.js';
import { parseState, stateOf } from '../state.js';
import { AccountId, Id, UnsignedInt } from './args.js';
import { changeKindOf, emailQueryOf, EmailQueryArgs, queryNeeds, runQuery, type EmailQuery } from './email-query.js';

const Args = z.strictObject({
  accountId: AccountId,
  ...EmailQueryArgs,
  sinceQueryState: z.string(),
  maxChanges: UnsignedInt.min(1).nullish(),
  upToId: Id.nullish(),
  calculateTotal: z.boolean().optional(),
});

/** What the journal tells of one changed Email. */
interface Changed {
  existedBefore: boolean;
  /** The mailboxes it was in at the old state. */
  readonly mailboxesBefore: Set<number>;
}

export const emailQueryChanges = defineMethod('Email/queryChanges', MAIL, Args, async (args, ctx) => {
  const query = emailQueryOf(args);
  const kind = changeKindOf(query);
  if (kind === 'none') throw new MethodError('cannotCalculateChanges', 'changes of a query with collapseThreads or a thread keyword condition or sort are not kept; run Email/query again');
  const since = parseState(args.sinceQueryState);
  if (since === undefined) throw new MethodError('cannotCalculateChanges', `${JSON.stringify(args.sinceQueryState)} is not a query state of this account`);
  const { modseq, rows, journal } = await ctx.messages.emailChangesSince(ctx.account, since);
  if (since > modseq) throw new MethodError('cannotCalculateChanges', `${JSON.stringify(args.sinceQueryState)} is not a query state of this account`);
  const changed = changedEmails(since, rows, journal);
  const { found, facts } = await runQuery(ctx, query);
  await addMissingFacts(ctx, query, facts, rows.map((r) => r.blobId));
  const index = new Map(found.map((f, i) => [f.blobId, i]));
  const removed: string[] = [];
  const added: Array<{ id: string; index: number }> = [];
  for (const [blobId, c] of changed) {
    const isIn = index.has(blobId);
    const wasIn = c.existedBefore && (kind === 'touched' || wasFound(query, c, facts.get(blobId)));
    if (wasIn && !(kind === 'exact' && isIn)) removed.push(emailIdOf(blobId));
    if (isIn && !(kind === 'exact' && wasIn)) added.push({ id: emailIdOf(blobId), index: index.get(blobId)! });
  }
  added.sort((a, b) => a.index - b.index);
  const upTo = kind === 'exact' ? upToOf(args.upToId, index, facts) : undefined;
  const result = upTo ? beforeUpTo(query, upTo, { removed, added }, facts) : { removed, added };
  if (args.maxChanges && result.removed.length + result.added.length > args.maxChanges) {
    throw new MethodError('tooManyChanges', `${result.removed.length + result.added.length} changes, more than maxChanges`);
  }
  return {
    accountId: ctx.accountId, oldQueryState: args.sinceQueryState, newQueryState: stateOf(modseq), ...(args.calculateTotal ? { total: found.length } : {}), ...result,
  };
});

/**
 * Every Email with a row changed or removed since `since`: whether it existed then (a row of it,
 * live or removed, was created by then) and the mailboxes it was in then. @throws MethodError
 * cannotCalculateChanges for a state older than the journal's record of removed Emails
 */
function changedEmails(since: number, rows: readonly EmailRow[], journal: readonly EmailJournalRow[]): Map<number, Changed> {
  const changed = new Map<number, Changed>();
  const at = (blobId: number): Changed => {
    let c = changed.get(blobId);
    if (!c) changed.set(blobId, (c = { existedBefore: false, mailboxesBefore: new Set() }));
    return c;
  };
  for (const j of journal) {
    if (j.blobId === null || j.createdModseq === null) throw new MethodError('cannotCalculateChanges', 'that state predates the journal this server keeps for Emails; run Email/query again');
    const c = at(j.blobId);
    if (j.createdModseq <= since) {
      c.existedBefore = true;
      if (j.mailboxId !== null) c.mailboxesBefore.add(j.mailboxId);
    }
  }
  // The rows are every live row of each Email with a row changed or removed since the state.
  for (const r of rows) {
    const c = at(r.blobId);
    if (r.createdModseq <= since) {
      c.existedBefore = true;
      c.mailboxesBefore.add(r.mailboxId);
    }
  }
  return changed;
}

/** Reads the facts of changed Emails the query did not read (it read one mailbox's). */
async function addMissingFacts(ctx: MethodContext, query: EmailQuery, facts: Map<number, EmailFacts>, blobIds: readonly number[]): Promise<void> {
  const missing = [...new Set(blobIds.filter((b) => !facts.has(b)))];
  if (missing.length === 0) return;
  const emails = groupEmails(await ctx.messages.emailRows(ctx.account, { blobIds: missing }));
  for (const f of await loadFacts(ctx, emails, queryNeeds(query))) facts.set(f.blobId, f);
}

/** Whether an Email that existed at the old state matched then: as it is now, in the mailboxes it was in then (exact kind only). */
function wasFound(query: EmailQuery, c: Changed, now: EmailFacts | undefined): boolean {
  if (query.filter === undefined) return true;
  const mailboxIds = new Set([...c.mailboxesBefore].map(mailboxIdOf));
  if (now) return matchFilter(query.filter, { ...now, mailboxIds });
  // Gone now: only mailbox conditions can be told; otherwise it may have been found (§5.6 allows reporting it).
  if (!onlyMailboxConditions(query.filter)) return true;
  return matchFilter(query.filter, { blobId: 0, threadId: 0, mailboxIds, keywords: new Set(), receivedAt: 0, size: 0, thread: [], doc: undefined, parsed: undefined });
}

function upToOf(upToId: string | null | undefined, index: ReadonlyMap<number, number>, facts: ReadonlyMap<number, EmailFacts>): { index: number; facts: EmailFacts } | undefined {
  const blobId = upToId ? parseEmailId(upToId) : undefined;
  const at = blobId === undefined ? undefined : index.get(blobId);
  return at === undefined ? undefined : { index: at, facts: facts.get(blobId!)! };
}

/** Leaves out changes after upToId (§5.6): added past its index, removed that sort after it (a gone Email, unknown, stays). */
function beforeUpTo(query: EmailQuery, upTo: { index: number; facts: EmailFacts }, r: { removed: string[]; added: Array<{ id: string; index: number }> }, facts: ReadonlyMap<number, EmailFacts>): typeof r {
  const compare = compareBy(query.sort);
  return {
    removed: r.removed.filter((id) => {
      const f = facts.get(parseEmailId(id)!);
      return f === undefined || compare(f, upTo.facts) < 0;
    }),
    added: r.added.filter((a) => a.index <= upTo.index),
  };
}

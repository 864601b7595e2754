// Email/query (RFC 8621 §4.4): every FilterCondition and FilterOperator of §4.4.1
// (email-filter.ts), every sort of §4.4.2 (email-sort.ts), collapseThreads, and the window of
// RFC 8620 §5.5 (position, anchor, limit, total). An Email in two mailboxes is listed once.
// The common case — no filter or inMailbox alone, sorted by receivedAt, from a position — is
// one page read from the database (MessageService.emailPage), not every row; anything else
// reads the Emails' rows and, only when the filter or sort needs them, their search documents
// and parsed fields. canCalculateChanges tells whether Email/queryChanges can follow the query.
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { loadFacts, noNeeds, weakest, type ChangeKind, type EmailFacts, type Needs } from '../email-facts.js';
import { filterChangeKind, filterNeeds, isOperator, matchFilter, parseFilter, type EmailFilter } from '../email-filter.js';
import { compareBy, EmailComparator, parseSort, receivedAtOnly, sortChangeKind, sortNeeds, type SortKey } from '../email-sort.js';
import { groupEmails, type EmailView } from '../emails.js';
import { emailIdOf, parseMailboxId } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { QueryArgs } from './args.js';
import { queryWindow, servedLimit } from '../query-window.js';

/** The arguments that say what is found and in which order, shared with Email/queryChanges. */
export const EmailQueryArgs = {
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(EmailComparator).nullish(),
  collapseThreads: z.boolean().optional(),
};
const Args = QueryArgs.extend(EmailQueryArgs);

export interface EmailQuery {
  readonly filter: EmailFilter | undefined;
  readonly sort: readonly SortKey[];
  readonly collapseThreads: boolean;
}

export const emailQuery = defineMethod('Email/query', MAIL, Args, async (args, ctx) => {
  const query = emailQueryOf(args);
  const state = stateOf(await currentModseq(ctx));
  const paged = pagedOf(query);
  // From a position at or after the start, the database gives the page; an anchor or a position
  // from the end needs the whole ordered list.
  const fromStart = (args.anchor ?? undefined) === undefined && (args.position ?? 0) >= 0;
  const window = paged && fromStart ? await pageWindow(ctx, paged, args) : queryWindow((await runQuery(ctx, query)).found.map((f) => emailIdOf(f.blobId)), args);
  return { accountId: ctx.accountId, queryState: state, canCalculateChanges: changeKindOf(query) !== 'none', ...window };
});

/** @throws MethodError unsupportedFilter, unsupportedSort or invalidArguments (email-filter.ts, email-sort.ts) */
export function emailQueryOf(args: { filter?: Record<string, unknown> | null | undefined; sort?: z.infer<typeof EmailComparator>[] | null | undefined; collapseThreads?: boolean | undefined }): EmailQuery {
  return { filter: args.filter ? parseFilter(args.filter) : undefined, sort: parseSort(args.sort), collapseThreads: args.collapseThreads === true };
}

export function changeKindOf(q: EmailQuery): ChangeKind {
  return q.collapseThreads ? 'none' : weakest(filterChangeKind(q.filter), sortChangeKind(q.sort));
}

export function queryNeeds(q: EmailQuery): Needs {
  return sortNeeds(q.sort, filterNeeds(q.filter, noNeeds()));
}

/**
 * The Emails found, in order (one per thread with collapseThreads), and the facts of every
 * Email read. With a top-level inMailbox and no thread condition or sort, only that mailbox's Emails are read.
 */
export async function runQuery(ctx: MethodContext, q: EmailQuery): Promise<{ found: EmailFacts[]; facts: Map<number, EmailFacts> }> {
  const needs = queryNeeds(q);
  const mailbox = needs.thread ? undefined : topMailboxOf(q.filter);
  const emails = mailbox === undefined ? groupEmails(await ctx.messages.emailRows(ctx.account)) : await emailsInMailbox(ctx, mailbox);
  const facts = await loadFacts(ctx, emails, needs);
  const found = facts.filter((f) => q.filter === undefined || matchFilter(q.filter, f)).sort(compareBy(q.sort));
  return { found: q.collapseThreads ? firstOfThreads(found) : found, facts: new Map(facts.map((f) => [f.blobId, f])) };
}

function firstOfThreads(found: readonly EmailFacts[]): EmailFacts[] {
  const seen = new Set<number>();
  return found.filter((f) => !seen.has(f.threadId) && seen.add(f.threadId));
}

/** The inMailbox every match must have: of the filter's condition, or of a condition directly under a top-level AND. */
function topMailboxOf(f: EmailFilter | undefined): string | undefined {
  if (f === undefined) return undefined;
  if (!isOperator(f)) return f.inMailbox;
  return f.operator === 'AND' ? f.conditions.map(topMailboxOf).find((m) => m !== undefined) : undefined;
}

/** The Emails with a row in the mailbox, with all their rows (their other mailboxes and keywords count too). */
async function emailsInMailbox(ctx: MethodContext, mailboxId: string): Promise<Map<number, EmailView>> {
  const id = parseMailboxId(mailboxId);
  const blobIds = id === undefined ? [] : [...new Set((await ctx.messages.emailRows(ctx.account, { mailboxId: id })).map((r) => r.blobId))];
  return blobIds.length === 0 ? new Map() : groupEmails(await ctx.messages.emailRows(ctx.account, { blobIds }));
}

interface Paged {
  readonly mailboxId: string | undefined;
  readonly ascending: boolean;
}

/** The query the database pages: no filter or inMailbox alone, receivedAt alone, threads not collapsed. */
function pagedOf(q: EmailQuery): Paged | undefined {
  const ascending = receivedAtOnly(q.sort);
  if (ascending === undefined || q.collapseThreads) return undefined;
  if (q.filter === undefined) return { mailboxId: undefined, ascending };
  const keys = isOperator(q.filter) ? ['operator'] : Object.keys(q.filter);
  return keys.length === 1 && keys[0] === 'inMailbox' ? { mailboxId: (q.filter as { inMailbox: string }).inMailbox, ascending } : undefined;
}

type Window = ReturnType<typeof queryWindow>;

async function pageWindow(ctx: MethodContext, paged: Paged, args: z.infer<typeof Args>): Promise<Window> {
  const mailbox = paged.mailboxId === undefined ? undefined : parseMailboxId(paged.mailboxId);
  if (paged.mailboxId !== undefined && mailbox === undefined) return queryWindow([], args);
  const position = args.position ?? 0;
  const { limit, capped } = servedLimit(args);
  const where = { ...(mailbox === undefined ? {} : { mailboxId: mailbox }), ascending: paged.ascending };
  const page = await ctx.messages.emailPage(ctx.account, { ...where, offset: position, limit, withTotal: args.calculateTotal === true });
  // Past the end, the position served is the total (RFC 8620 §5.5), which then must be counted.
  const total = page.total ?? (page.blobIds.length === 0 && position > 0 ? (await ctx.messages.emailPage(ctx.account, { ...where, offset: 0, limit: 0, withTotal: true })).total : undefined);
  return {
    position: page.blobIds.length === 0 && total !== undefined ? Math.min(position, total) : position,
    ids: page.blobIds.map(emailIdOf),
    ...(args.calculateTotal ? { total: total ?? 0 } : {}),
    ...(capped ? { limit } : {}),
  };
}

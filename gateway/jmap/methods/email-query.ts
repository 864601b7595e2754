// Email/query (RFC 8621 §4.4) for this slice: the `inMailbox` filter (or none: every
// mailbox; an Email in two mailboxes is listed once), sorted by receivedAt (newest first
// unless asked otherwise, ties by blob), with
// position, anchor, limit and total. Other filters and sorts answer unsupportedFilter and
// unsupportedSort, as §5.5 of RFC 8620 says a server does for what it cannot do.
import { z } from 'zod';
import type { EmailRow } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { MethodError } from '../errors.js';
import { byReceivedAt, groupEmails } from '../emails.js';
import { emailIdOf, parseMailboxId } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, Id, UnsignedInt } from './args.js';
import { queryWindow } from '../query-window.js';

const Comparator = z.strictObject({ property: z.string(), isAscending: z.boolean().optional(), collation: z.string().optional() });

const Args = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(Comparator).nullish(),
  position: z.number().int().optional(),
  anchor: Id.nullish(),
  anchorOffset: z.number().int().optional(),
  limit: UnsignedInt.nullish(),
  calculateTotal: z.boolean().optional(),
  collapseThreads: z.boolean().optional(),
});

export const emailQuery = defineMethod('Email/query', MAIL, Args, async (args, ctx) => {
  const mailboxId = inMailboxOf(args.filter);
  const ascending = sortOf(args.sort);
  if (args.collapseThreads) throw new MethodError('invalidArguments', 'collapseThreads is not supported yet');
  const state = stateOf(await currentModseq(ctx));
  const emails = [...groupEmails(await rowsIn(ctx, mailboxId)).values()].sort(byReceivedAt(ascending));
  const ids = emails.map((e) => emailIdOf(e.blobId));
  return { accountId: ctx.accountId, queryState: state, canCalculateChanges: false, ...queryWindow(ids, args) };
});

function inMailboxOf(filter: Record<string, unknown> | null | undefined): string | undefined {
  if (!filter) return undefined;
  const unsupported = Object.keys(filter).find((k) => k !== 'inMailbox');
  if (unsupported !== undefined) throw new MethodError('unsupportedFilter', `the filter ${unsupported} is not supported yet`);
  const inMailbox = filter['inMailbox'];
  if (typeof inMailbox !== 'string') throw new MethodError('invalidArguments', 'inMailbox is a mailbox id');
  return inMailbox;
}

/** Whether the sort is ascending; only receivedAt sorts so far. */
function sortOf(sort: ReadonlyArray<{ property: string; isAscending?: boolean | undefined }> | null | undefined): boolean {
  if (!sort || sort.length === 0) return false;
  const other = sort.find((c) => c.property !== 'receivedAt');
  if (other) throw new MethodError('unsupportedSort', `sorting by ${other.property} is not supported yet`);
  return sort[0]!.isAscending ?? true;
}

async function rowsIn(ctx: MethodContext, mailboxId: string | undefined): Promise<EmailRow[]> {
  if (mailboxId === undefined) return ctx.messages.emailRows(ctx.account);
  const id = parseMailboxId(mailboxId);
  return id === undefined ? [] : ctx.messages.emailRows(ctx.account, { mailboxId: id });
}

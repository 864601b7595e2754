// Email/query (RFC 8621 §4.4) for this slice: the `inMailbox` filter (or none: every
// mailbox), sorted by receivedAt (newest first unless asked otherwise, ties by id), with
// position, anchor, limit and total. Other filters and sorts answer unsupportedFilter and
// unsupportedSort, as §5.5 of RFC 8620 says a server does for what it cannot do.
import { z } from 'zod';
import type { MessageMeta } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { MethodError } from '../errors.js';
import { emailIdOf, parseMailboxId } from '../ids.js';
import { MAX_QUERY_LIMIT } from '../limits.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, Id, UnsignedInt } from './args.js';

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
  const messages = await messagesIn(ctx, mailboxId);
  const dir = ascending ? 1 : -1;
  messages.sort((a, b) => dir * (a.internalDate.getTime() - b.internalDate.getTime() || a.mailboxId - b.mailboxId || a.uid - b.uid));
  const ids = messages.map((m) => emailIdOf(m.mailboxId, m.uid));
  const total = ids.length;
  let start: number;
  if (args.anchor !== undefined && args.anchor !== null) {
    const at = ids.indexOf(args.anchor);
    if (at === -1) throw new MethodError('anchorNotFound');
    start = Math.max(0, at + (args.anchorOffset ?? 0));
  } else {
    const position = args.position ?? 0;
    start = position < 0 ? Math.max(0, total + position) : position;
  }
  const requested = args.limit ?? MAX_QUERY_LIMIT;
  const limit = Math.min(requested, MAX_QUERY_LIMIT);
  return {
    accountId: ctx.accountId,
    queryState: state,
    canCalculateChanges: false,
    position: Math.min(start, total),
    ids: ids.slice(start, start + limit),
    ...(args.calculateTotal ? { total } : {}),
    ...(requested > MAX_QUERY_LIMIT ? { limit } : {}),
  };
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

async function messagesIn(ctx: MethodContext, mailboxId: string | undefined): Promise<MessageMeta[]> {
  if (mailboxId !== undefined) {
    const id = parseMailboxId(mailboxId);
    return id === undefined ? [] : ctx.messages.list(ctx.account, id);
  }
  const all: MessageMeta[] = [];
  for (const mb of await ctx.mailboxes.list(ctx.account)) all.push(...(await ctx.messages.list(ctx.account, mb.id)));
  return all;
}

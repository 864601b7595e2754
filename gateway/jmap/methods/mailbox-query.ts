// Mailbox/query (RFC 8621 §2.3): a FilterCondition of parentId, name (contains, case-insensitive),
// role, hasAnyRole and isSubscribed (all must match; FilterOperators answer unsupportedFilter),
// sorted by name and/or sortOrder (ties by id), with position, anchor, limit and total. Names,
// parents, roles and sort orders are Mailbox/get's. sortAsTree and filterAsTree are not served.
import { z } from 'zod';
import type { MailboxInfo } from '../../../services/mailbox-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { MethodError } from '../errors.js';
import { mailboxIdOf } from '../ids.js';
import { COLLATION_ALGORITHMS } from '../limits.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, Id, UnsignedInt } from './args.js';
import { roleOf, sortOrderOf, tree } from './mailbox-get.js';
import { queryWindow } from '../query-window.js';

export const MailboxFilter = z.strictObject({
  parentId: Id.nullable().optional(),
  name: z.string().optional(),
  role: z.string().nullable().optional(),
  hasAnyRole: z.boolean().optional(),
  isSubscribed: z.boolean().optional(),
});
type Filter = z.infer<typeof MailboxFilter>;

export const MailboxComparator = z.strictObject({ property: z.string(), isAscending: z.boolean().optional(), collation: z.string().optional() });
type Comparator = z.infer<typeof MailboxComparator>;

const SORTABLE = new Set(['name', 'sortOrder']);
const FILTER_KEYS = new Set(Object.keys(MailboxFilter.shape));

const Args = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(MailboxComparator).nullish(),
  position: z.number().int().optional(),
  anchor: Id.nullish(),
  anchorOffset: z.number().int().optional(),
  limit: UnsignedInt.nullish(),
  calculateTotal: z.boolean().optional(),
  sortAsTree: z.boolean().optional(),
  filterAsTree: z.boolean().optional(),
});

interface Row {
  readonly id: number;
  readonly name: string;
  readonly parentId: string | null;
  readonly role: string | null;
  readonly sortOrder: number;
  readonly isSubscribed: boolean;
}

export const mailboxQuery = defineMethod('Mailbox/query', MAIL, Args, async (args, ctx) => {
  const filter = filterOf(args.filter);
  const sort = sortOf(args.sort);
  if (args.sortAsTree === true || args.filterAsTree === true) throw new MethodError('invalidArguments', 'sortAsTree and filterAsTree are not supported yet');
  const state = stateOf(await currentModseq(ctx));
  const ids = await matchingIds(ctx, filter, sort);
  return { accountId: ctx.accountId, queryState: state, canCalculateChanges: false, ...queryWindow(ids, args) };
});

/** The filter as a condition. @throws MethodError unsupportedFilter for an operator or unknown property, invalidArguments for a wrong type. */
export function filterOf(filter: Record<string, unknown> | null | undefined): Filter {
  if (!filter) return {};
  const unsupported = Object.keys(filter).find((k) => !FILTER_KEYS.has(k));
  if (unsupported !== undefined) throw new MethodError('unsupportedFilter', `the filter ${unsupported} is not supported`);
  const parsed = MailboxFilter.safeParse(filter);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MethodError('invalidArguments', `filter/${issue.path.join('/')}: ${issue.message}`);
  }
  return parsed.data;
}

/** @throws MethodError unsupportedSort for another property or collation. */
export function sortOf(sort: readonly Comparator[] | null | undefined): readonly Comparator[] {
  for (const c of sort ?? []) {
    if (!SORTABLE.has(c.property)) throw new MethodError('unsupportedSort', `sorting by ${c.property} is not supported`);
    if (c.collation !== undefined && !COLLATION_ALGORITHMS.includes(c.collation)) throw new MethodError('unsupportedSort', `the collation ${c.collation} is not supported`);
  }
  return sort ?? [];
}

/** The ids of the mailboxes matching `filter`, in `sort` order. */
export async function matchingIds(ctx: MethodContext, filter: Filter, sort: readonly Comparator[]): Promise<string[]> {
  const rows = rowsOf(await ctx.mailboxes.list(ctx.account)).filter((r) => matches(r, filter));
  rows.sort((a, b) => compare(a, b, sort));
  return rows.map((r) => mailboxIdOf(r.id));
}

function rowsOf(all: readonly MailboxInfo[]): Row[] {
  const byName = new Map(all.map((m) => [m.name, m]));
  return all.map((mb) => ({ id: mb.id, ...tree(mb, byName), role: roleOf(mb.role), sortOrder: sortOrderOf(mb.role), isSubscribed: mb.subscribed }));
}

function matches(r: Row, f: Filter): boolean {
  if (f.parentId !== undefined && r.parentId !== f.parentId) return false;
  if (f.name !== undefined && !fold(r.name).includes(fold(f.name))) return false;
  if (f.role !== undefined && r.role !== f.role) return false;
  if (f.hasAnyRole !== undefined && (r.role !== null) !== f.hasAnyRole) return false;
  if (f.isSubscribed !== undefined && r.isSubscribed !== f.isSubscribed) return false;
  return true;
}

/** i;unicode-casemap, near enough: NFKC then case folded. */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

function compare(a: Row, b: Row, sort: readonly Comparator[]): number {
  for (const c of sort) {
    const dir = c.isAscending === false ? -1 : 1;
    const d = c.property === 'name' ? fold(a.name).localeCompare(fold(b.name), 'en') || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.sortOrder - b.sortOrder;
    if (d !== 0) return dir * d;
  }
  return a.id - b.id;
}

// Postage/query (docs/jmap-postage.md): the account's case ids, filtered by state and emailId,
// in creation order (sort by createdAt, ascending or not), with position, anchor, limit and
// total. A FilterOperator or another filter property is unsupportedFilter.
import { z } from 'zod';
import type { CaseFilter } from '../../../services/postage-cases.js';
import { POSTAGE } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { parseEmailId, postageIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { postageOf, postageState } from '../postage-objects.js';
import { queryWindow } from '../query-window.js';
import { QueryArgs } from './args.js';

export const CASE_STATES = ['screened', 'pending', 'open', 'held', 'settled', 'canceled', 'expired', 'approved'] as const;

const Filter = z.strictObject({ state: z.enum(CASE_STATES).optional(), emailId: z.string().optional() });

export const postageQuery = defineMethod('Postage/query', POSTAGE, QueryArgs, async (args, ctx) => {
  const filter = { ...filterOf(args.filter), newestFirst: newestFirst(args.sort) };
  const { postage } = postageOf(ctx);
  const queryState = await postageState(ctx);
  const ids = filter.blobIds?.length === 0 ? [] : await postage.caseIds(ctx.account.userId, filter);
  return { accountId: ctx.accountId, queryState, canCalculateChanges: false, ...queryWindow(ids.map(postageIdOf), args) };
});

function filterOf(filter: Record<string, unknown> | null | undefined): CaseFilter {
  if (!filter) return {};
  if ('operator' in filter) throw new MethodError('unsupportedFilter', 'FilterOperator is not supported for Postage/query');
  const parsed = Filter.safeParse(filter);
  if (!parsed.success) throw new MethodError('unsupportedFilter', parsed.error.issues[0]!.message);
  const { state, emailId } = parsed.data;
  // An emailId that names no Email of ours matches no case.
  const blobId = emailId === undefined ? undefined : parseEmailId(emailId);
  return { ...(state ? { state } : {}), ...(emailId === undefined ? {} : { blobIds: blobId === undefined ? [] : [blobId] }) };
}

function newestFirst(sort: ReadonlyArray<{ property: string; isAscending?: boolean | undefined }> | null | undefined): boolean {
  const [first, ...rest] = sort ?? [];
  if (!first) return false;
  if (first.property !== 'createdAt' || rest.length > 0) throw new MethodError('unsupportedSort', 'Postage/query sorts by createdAt only');
  return first.isAscending === false;
}

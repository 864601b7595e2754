// EmailSubmission/query (RFC 8621 §7.3): the account's submissions filtered by identityIds,
// emailIds, threadIds, undoStatus, before and after (sendAt), sorted by emailId, threadId or
// sentAt (then by creation), with position, anchor, limit and total. A FilterOperator
// answers unsupportedFilter. Every filtered and sorted property is immutable, so
// EmailSubmission/queryChanges (email-submission-query-changes.ts) answers exactly.
import { z } from 'zod';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq } from '../context.js';
import { MethodError } from '../errors.js';
import { defineMethod } from '../method.js';
import { queryWindow } from '../query-window.js';
import { stateOf } from '../state.js';
import { QueryArgs } from './args.js';
import { submissionsOf } from './email-submission-get.js';

const Filter = z.strictObject({
  identityIds: z.array(z.string()).optional(),
  emailIds: z.array(z.string()).optional(),
  threadIds: z.array(z.string()).optional(),
  undoStatus: z.enum(['pending', 'final', 'canceled']).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  after: z.iso.datetime({ offset: true }).optional(),
});
const SORTS = { emailId: 'emailId', threadId: 'threadId', sentAt: 'sendAt' } as const;

export const emailSubmissionQuery = defineMethod('EmailSubmission/query', SUBMISSION, QueryArgs, async (args, ctx) => {
  const matches = filterOf(args.filter);
  const order = sortOf(args.sort);
  const state = stateOf(await currentModseq(ctx));
  const ids = (await submissionsOf(ctx)).filter(matches).sort(order).map((s) => s['id'] as string);
  return { accountId: ctx.accountId, queryState: state, canCalculateChanges: true, ...queryWindow(ids, args) };
});

type Submission = Record<string, unknown>;

/** The filter as a predicate. @throws MethodError unsupportedFilter */
export function filterOf(filter: Record<string, unknown> | null | undefined): (s: Submission) => boolean {
  if (!filter) return () => true;
  if ('operator' in filter) throw new MethodError('unsupportedFilter', 'FilterOperator is not supported for EmailSubmission/query');
  const parsed = Filter.safeParse(filter);
  if (!parsed.success) throw new MethodError('unsupportedFilter', parsed.error.issues[0]!.message);
  const f = parsed.data;
  const oneOf = (list: string[] | undefined, value: unknown) => list === undefined || list.includes(value as string);
  const before = f.before ? Date.parse(f.before) : Infinity;
  const after = f.after ? Date.parse(f.after) : -Infinity;
  return (s) => {
    const sendAt = Date.parse(s['sendAt'] as string);
    return oneOf(f.identityIds, s['identityId']) && oneOf(f.emailIds, s['emailId']) && oneOf(f.threadIds, s['threadId']) &&
      (f.undoStatus === undefined || s['undoStatus'] === f.undoStatus) && sendAt < before && sendAt >= after;
  };
}

/** The comparator of the sort (ids compared by their number, dates by time), ties in creation order. @throws MethodError unsupportedSort */
export function sortOf(sort: ReadonlyArray<{ property: string; isAscending?: boolean | undefined }> | null | undefined): (a: Submission, b: Submission) => number {
  const keys = (sort ?? []).map((c) => {
    const property = SORTS[c.property as keyof typeof SORTS] as string | undefined;
    if (property === undefined) throw new MethodError('unsupportedSort', `sorting by ${c.property} is not supported`);
    return { property, dir: c.isAscending === false ? -1 : 1 };
  });
  keys.push({ property: 'id', dir: 1 });
  return (a, b) => {
    for (const { property, dir } of keys) {
      const d = sortValue(a[property]) - sortValue(b[property]);
      if (d !== 0) return dir * d;
    }
    return 0;
  };
}

function sortValue(value: unknown): number {
  const text = String(value);
  return /^[A-Z]\d+$/.test(text) ? Number(text.slice(1)) : Date.parse(text);
}

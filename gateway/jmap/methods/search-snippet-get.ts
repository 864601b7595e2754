// SearchSnippet/get (RFC 8621 §5): for Emails found by a search, the subject and a piece of the
// body with the filter's words marked (services/search-snippet.ts: <mark>, HTML-escaped). The
// words are those of `text` (subject and body), `subject` and `body` conditions, anywhere in the
// filter but under NOT; the other conditions of Email/query are accepted and mark nothing. An
// id that is not one of the account's Emails is notFound.
import { z } from 'zod';
import { previewSnippet, subjectSnippet } from '../../../services/search-snippet.js';
import { MAIL } from '../capabilities.js';
import { readEmailContent } from '../email-content.js';
import { emailsOf } from '../emails.js';
import { MethodError } from '../errors.js';
import { parseEmailId } from '../ids.js';
import { MAX_OBJECTS_IN_GET } from '../limits.js';
import { defineMethod } from '../method.js';
import { AccountId, Id } from './args.js';

/** RFC 8621 §4.4.1's FilterCondition properties. */
const CONDITIONS = new Set([
  'inMailbox', 'inMailboxOtherThan', 'before', 'after', 'minSize', 'maxSize', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword', 'noneInThreadHaveKeyword',
  'hasKeyword', 'notKeyword', 'hasAttachment', 'text', 'from', 'to', 'cc', 'bcc', 'subject', 'body', 'header',
]);

const Args = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  emailIds: z.array(Id),
});

interface Terms {
  readonly subject: string[];
  readonly body: string[];
}

export const searchSnippetGet = defineMethod('SearchSnippet/get', MAIL, Args, async (args, ctx) => {
  if (args.emailIds.length > MAX_OBJECTS_IN_GET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_GET} ids per /get`);
  const terms: Terms = { subject: [], body: [] };
  if (args.filter) collectTerms(args.filter, terms);
  const emails = await emailsOf(ctx, args.emailIds.flatMap((id) => parseEmailId(id) ?? []));
  const list: Array<{ emailId: string; subject: string | null; preview: string | null }> = [];
  const notFound: string[] = [];
  for (const id of new Set(args.emailIds)) {
    const blobId = parseEmailId(id);
    const raw = blobId !== undefined && emails.has(blobId) ? await ctx.messages.readBlob(ctx.account, blobId) : undefined;
    if (!raw) {
      notFound.push(id);
      continue;
    }
    const content = await readEmailContent(raw);
    list.push({ emailId: id, subject: subjectSnippet(content.subject ?? '', terms.subject), preview: previewSnippet(content.text, terms.body) });
  }
  return { accountId: ctx.accountId, list, notFound: notFound.length > 0 ? notFound : null };
});

/** Adds the words a filter searches for to `terms`. @throws MethodError for a filter Email/query would refuse */
function collectTerms(filter: Record<string, unknown>, terms: Terms): void {
  if ('operator' in filter) {
    const { operator, conditions } = filter;
    if (!['AND', 'OR', 'NOT'].includes(operator as string) || !Array.isArray(conditions) || Object.keys(filter).length !== 2) {
      throw new MethodError('invalidArguments', 'a FilterOperator has an operator (AND, OR or NOT) and conditions');
    }
    // What a NOT excludes is not what was found.
    const into = operator === 'NOT' ? { subject: [], body: [] } : terms;
    for (const c of conditions) {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new MethodError('invalidArguments', 'a filter condition is an object');
      collectTerms(c as Record<string, unknown>, into);
    }
    return;
  }
  for (const [name, value] of Object.entries(filter)) {
    if (!CONDITIONS.has(name)) throw new MethodError('unsupportedFilter', `the filter ${name} is not supported`);
    if (name !== 'text' && name !== 'subject' && name !== 'body') continue;
    if (typeof value !== 'string') throw new MethodError('invalidArguments', `${name} is a string`);
    if (name !== 'body') terms.subject.push(value);
    if (name !== 'subject') terms.body.push(value);
  }
}

// Email/query's filter (RFC 8621 §4.4.1, RFC 8620 §5.5): FilterOperators (AND, OR, NOT, nested)
// over FilterConditions, checked once — a condition RFC 8621 does not define is
// unsupportedFilter, a bad value invalidArguments — and then matched against each Email's
// facts (email-facts.ts). Text conditions are the search documents' matching (services/
// message-search.ts): case-insensitive substrings of the raw header values and body.
import { z } from 'zod';
import { hasHeader, matches, type SearchCriterion, type SearchDoc } from '../../services/message-search.js';
import type { ChangeKind, EmailFacts, Needs } from './email-facts.js';
import { MethodError } from './errors.js';
import { isValidKeyword } from './keywords.js';
import { MAX_FILTER_DEPTH } from './limits.js';
import { Id, UnsignedInt } from './methods/args.js';

const UtcDate = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$/, 'not a UTCDate').refine((s) => !Number.isNaN(Date.parse(s)), 'not a UTCDate');
const Keyword = z.string().refine(isValidKeyword, 'not a valid keyword');
const FieldName = z.string().regex(/^[!-9;-~]+$/, 'not a header field name');

const Condition = z.strictObject({
  inMailbox: Id,
  inMailboxOtherThan: z.array(Id),
  before: UtcDate,
  after: UtcDate,
  minSize: UnsignedInt,
  maxSize: UnsignedInt,
  allInThreadHaveKeyword: Keyword,
  someInThreadHaveKeyword: Keyword,
  noneInThreadHaveKeyword: Keyword,
  hasKeyword: Keyword,
  notKeyword: Keyword,
  hasAttachment: z.boolean(),
  text: z.string(),
  from: z.string(),
  to: z.string(),
  cc: z.string(),
  bcc: z.string(),
  subject: z.string(),
  body: z.string(),
  header: z.union([z.tuple([FieldName]), z.tuple([FieldName, z.string()])]),
}).partial();
export type FilterCondition = z.infer<typeof Condition>;
export type ConditionName = keyof FilterCondition;

export interface FilterOperator {
  readonly operator: 'AND' | 'OR' | 'NOT';
  readonly conditions: readonly EmailFilter[];
}
export type EmailFilter = FilterOperator | FilterCondition;

const CONDITION_NAMES: ReadonlySet<string> = new Set(Object.keys(Condition.shape));
const OPERATORS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT']);
/** Conditions on the message's header fields: the search criterion of each. */
const ADDRESS_FIELDS = ['from', 'to', 'cc', 'bcc', 'subject'] as const;
const THREAD_CONDITIONS: ReadonlySet<string> = new Set(['allInThreadHaveKeyword', 'someInThreadHaveKeyword', 'noneInThreadHaveKeyword']);
/** Conditions on what changes without a new row: keywords, and the size a received envelope gets once opened. */
const MUTABLE_CONDITIONS: ReadonlySet<string> = new Set(['hasKeyword', 'notKeyword', 'minSize', 'maxSize']);
const DOC_CONDITIONS: ReadonlySet<string> = new Set(['text', 'body', 'header', ...ADDRESS_FIELDS]);

export function isOperator(f: EmailFilter): f is FilterOperator {
  return 'operator' in f;
}

/** The filter argument checked. @throws MethodError unsupportedFilter for an unknown condition, invalidArguments for a malformed filter */
export function parseFilter(value: unknown, path = 'filter', depth = 0): EmailFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MethodError('invalidArguments', `${path}: a filter is a FilterOperator or a FilterCondition object`);
  if (depth >= MAX_FILTER_DEPTH) throw new MethodError('invalidArguments', `${path}: filters nest at most ${MAX_FILTER_DEPTH} deep`);
  const object = value as Record<string, unknown>;
  if ('operator' in object) {
    const { operator, conditions } = object;
    if (typeof operator !== 'string' || !OPERATORS.has(operator) || !Array.isArray(conditions) || Object.keys(object).length !== 2) {
      throw new MethodError('invalidArguments', `${path}: a FilterOperator has an operator (AND, OR or NOT) and conditions`);
    }
    return { operator: operator as FilterOperator['operator'], conditions: conditions.map((c, i) => parseFilter(c, `${path}/conditions/${i}`, depth + 1)) };
  }
  const unknown = Object.keys(object).find((k) => !CONDITION_NAMES.has(k));
  if (unknown !== undefined) throw new MethodError('unsupportedFilter', `${path}: ${unknown} is not a FilterCondition of Email/query`);
  const parsed = Condition.safeParse(object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MethodError('invalidArguments', `${path}/${issue.path.join('/')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Every condition name used anywhere in the filter. */
export function conditionNames(f: EmailFilter | undefined, into = new Set<ConditionName>()): Set<ConditionName> {
  if (f === undefined) return into;
  if (isOperator(f)) for (const c of f.conditions) conditionNames(c, into);
  else for (const k of Object.keys(f) as ConditionName[]) if (f[k] !== undefined) into.add(k);
  return into;
}

/** What matching the filter reads beyond an Email's metadata. */
export function filterNeeds(f: EmailFilter | undefined, needs: Needs): Needs {
  for (const name of conditionNames(f)) {
    if (DOC_CONDITIONS.has(name)) needs.doc = true;
    if (THREAD_CONDITIONS.has(name)) needs.thread = true;
    if (name === 'hasAttachment') needs.parsed = true;
  }
  return needs;
}

/** How queryChanges can follow the filter (ChangeKind). */
export function filterChangeKind(f: EmailFilter | undefined): ChangeKind {
  const names = [...conditionNames(f)];
  if (names.some((n) => THREAD_CONDITIONS.has(n))) return 'none';
  return names.some((n) => MUTABLE_CONDITIONS.has(n)) ? 'touched' : 'exact';
}

/** Whether only mailbox membership is asked, which the journal can tell of an Email that is gone. */
export function onlyMailboxConditions(f: EmailFilter | undefined): boolean {
  return [...conditionNames(f)].every((n) => n === 'inMailbox' || n === 'inMailboxOtherThan');
}

export function matchFilter(f: EmailFilter, facts: EmailFacts): boolean {
  if (!isOperator(f)) return matchCondition(f, facts);
  if (f.operator === 'AND') return f.conditions.every((c) => matchFilter(c, facts));
  const some = f.conditions.some((c) => matchFilter(c, facts));
  return f.operator === 'OR' ? some : !some;
}

/** Every property of the condition must match. */
function matchCondition(c: FilterCondition, e: EmailFacts): boolean {
  return (Object.keys(c) as ConditionName[]).every((name) => c[name] === undefined || matchOne(name, c, e));
}

function matchOne(name: ConditionName, c: FilterCondition, e: EmailFacts): boolean {
  switch (name) {
    case 'inMailbox': return e.mailboxIds.has(c.inMailbox!);
    case 'inMailboxOtherThan': return [...e.mailboxIds].some((m) => !c.inMailboxOtherThan!.includes(m));
    case 'before': return e.receivedAt < Date.parse(c.before!);
    case 'after': return e.receivedAt >= Date.parse(c.after!);
    case 'minSize': return e.size >= c.minSize!;
    case 'maxSize': return e.size < c.maxSize!;
    case 'allInThreadHaveKeyword': return e.thread.every((k) => k.has(c.allInThreadHaveKeyword!.toLowerCase()));
    case 'someInThreadHaveKeyword': return e.thread.some((k) => k.has(c.someInThreadHaveKeyword!.toLowerCase()));
    case 'noneInThreadHaveKeyword': return !e.thread.some((k) => k.has(c.noneInThreadHaveKeyword!.toLowerCase()));
    case 'hasKeyword': return e.keywords.has(c.hasKeyword!.toLowerCase());
    case 'notKeyword': return !e.keywords.has(c.notKeyword!.toLowerCase());
    case 'hasAttachment': return e.parsed !== undefined && e.parsed.hasAttachment === c.hasAttachment;
    default: return e.doc !== undefined && matchText(name, c, e.doc);
  }
}

/** `text` is the address fields, the subject and the body (RFC 8621 §4.4.1). */
function matchText(name: ConditionName, c: FilterCondition, doc: SearchDoc): boolean {
  const header = (field: string): SearchCriterion => ({ field: 'header', name: field });
  switch (name) {
    case 'text': return ADDRESS_FIELDS.some((f) => matches(doc, header(f), c.text!)) || matches(doc, { field: 'body' }, c.text!);
    case 'body': return matches(doc, { field: 'body' }, c.body!);
    case 'header': return c.header!.length === 1 ? hasHeader(doc, c.header![0]) : matches(doc, header(c.header![0]), c.header![1]!);
    default: return matches(doc, header(name), c[name as (typeof ADDRESS_FIELDS)[number]]!);
  }
}

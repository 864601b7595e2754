// Email/query's sort (RFC 8621 §4.4.2): every property of the RFC, any number of comparators,
// string properties under a collation (i;unicode-casemap by default, or i;ascii-casemap), ties
// broken by Email id in the direction of the first comparator, so that receivedAt alone orders
// exactly as the database page of the fast path does (MessageService.emailPage).
import { z } from 'zod';
import type { ChangeKind, EmailFacts, Needs } from './email-facts.js';
import { MethodError } from './errors.js';
import { isValidKeyword } from './keywords.js';
import { COLLATION_ALGORITHMS } from './limits.js';

export const EmailComparator = z.strictObject({ property: z.string(), isAscending: z.boolean().optional(), collation: z.string().optional(), keyword: z.string().optional() });
type Comparator = z.infer<typeof EmailComparator>;

/** The session's emailQuerySortOptions. */
export const SORT_PROPERTIES = ['receivedAt', 'size', 'from', 'to', 'subject', 'sentAt', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword'] as const;
type SortProperty = (typeof SORT_PROPERTIES)[number];
const KEYWORD_SORTS: ReadonlySet<string> = new Set(['hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword']);
const PARSED_SORTS: ReadonlySet<string> = new Set(['from', 'to', 'subject', 'sentAt']);

export interface SortKey {
  readonly property: SortProperty;
  readonly ascending: boolean;
  readonly collation: string;
  /** Lowercase, for the keyword sorts. */
  readonly keyword?: string;
}

const DEFAULT_COLLATION = 'i;unicode-casemap';
/** Without a sort, newest first. */
const DEFAULT_SORT: readonly SortKey[] = [{ property: 'receivedAt', ascending: false, collation: DEFAULT_COLLATION }];

/** RFC 4790 / RFC 5051 folds: ASCII letters only, or every character (compatibility-decomposed, then upper-cased as titlecase nearly is). */
const FOLDS: Readonly<Record<string, (s: string) => string>> = {
  'i;ascii-casemap': (s) => s.replace(/[a-z]+/g, (m) => m.toUpperCase()),
  'i;unicode-casemap': (s) => s.normalize('NFKD').toUpperCase(),
};

/** The sort argument checked. @throws MethodError unsupportedSort for another property or collation, invalidArguments for a missing or bad keyword */
export function parseSort(sort: readonly Comparator[] | null | undefined): readonly SortKey[] {
  if (!sort || sort.length === 0) return DEFAULT_SORT;
  return sort.map((c, i): SortKey => {
    if (!(SORT_PROPERTIES as readonly string[]).includes(c.property)) throw new MethodError('unsupportedSort', `sort/${i}: sorting Emails by ${c.property} is not supported`);
    const collation = c.collation ?? DEFAULT_COLLATION;
    if (!COLLATION_ALGORITHMS.includes(collation)) throw new MethodError('unsupportedSort', `sort/${i}: the collation ${collation} is not supported`);
    const key = { property: c.property as SortProperty, ascending: c.isAscending ?? true, collation };
    if (!KEYWORD_SORTS.has(c.property)) {
      if (c.keyword !== undefined) throw new MethodError('invalidArguments', `sort/${i}: keyword belongs to the hasKeyword, allInThreadHaveKeyword and someInThreadHaveKeyword sorts only`);
      return key;
    }
    if (c.keyword === undefined) throw new MethodError('invalidArguments', `sort/${i}: sorting by ${c.property} needs a keyword`);
    if (!isValidKeyword(c.keyword)) throw new MethodError('invalidArguments', `sort/${i}/keyword: not a valid keyword`);
    return { ...key, keyword: c.keyword.toLowerCase() };
  });
}

export function sortNeeds(keys: readonly SortKey[], needs: Needs): Needs {
  for (const k of keys) {
    if (PARSED_SORTS.has(k.property)) needs.parsed = true;
    if (k.property === 'allInThreadHaveKeyword' || k.property === 'someInThreadHaveKeyword') needs.thread = true;
  }
  return needs;
}

/** How queryChanges can follow the sort (ChangeKind): the thread sorts depend on other Emails, size and keywords change in place. */
export function sortChangeKind(keys: readonly SortKey[]): ChangeKind {
  if (keys.some((k) => k.property === 'allInThreadHaveKeyword' || k.property === 'someInThreadHaveKeyword')) return 'none';
  return keys.some((k) => k.property === 'size' || k.property === 'hasKeyword') ? 'touched' : 'exact';
}

/** Whether the sort is receivedAt alone, which the database pages (emailPage): its direction, else undefined. */
export function receivedAtOnly(keys: readonly SortKey[]): boolean | undefined {
  return keys.length === 1 && keys[0]!.property === 'receivedAt' ? keys[0]!.ascending : undefined;
}

export function compareBy(keys: readonly SortKey[]): (a: EmailFacts, b: EmailFacts) => number {
  const tie = keys[0]?.ascending === false ? -1 : 1;
  return (a, b) => {
    for (const k of keys) {
      const d = compareOne(k, a, b);
      if (d !== 0) return k.ascending ? d : -d;
    }
    return tie * (a.blobId - b.blobId);
  };
}

function compareOne(k: SortKey, a: EmailFacts, b: EmailFacts): number {
  switch (k.property) {
    case 'receivedAt': return a.receivedAt - b.receivedAt;
    case 'size': return a.size - b.size;
    case 'sentAt': return (a.parsed?.sentAt ?? -Infinity) - (b.parsed?.sentAt ?? -Infinity) || 0;
    case 'from':
    case 'to':
      return collate(k.collation, a.parsed?.[k.property] ?? '', b.parsed?.[k.property] ?? '');
    case 'subject': return collate(k.collation, baseSubject(a.parsed?.subject ?? ''), baseSubject(b.parsed?.subject ?? ''));
    case 'hasKeyword': return Number(a.keywords.has(k.keyword!)) - Number(b.keywords.has(k.keyword!));
    case 'allInThreadHaveKeyword': return Number(a.thread.every((t) => t.has(k.keyword!))) - Number(b.thread.every((t) => t.has(k.keyword!)));
    case 'someInThreadHaveKeyword': return Number(a.thread.some((t) => t.has(k.keyword!))) - Number(b.thread.some((t) => t.has(k.keyword!)));
  }
}

/** Folded strings compared by their UTF-8 octets (RFC 4790 §9.2-9.3). */
function collate(collation: string, a: string, b: string): number {
  const fold = FOLDS[collation]!;
  return Buffer.compare(Buffer.from(fold(a)), Buffer.from(fold(b)));
}

/** RFC 5256 §2.1's base subject: without Re:/Fwd: leaders, [blob]s, "(fwd)" trailers and [Fwd: ...] wrappers. */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (;;) {
    const before = s;
    s = s.replace(/(\s*\(fwd\))+$/i, '').trim();
    for (;;) {
      const inner = s;
      s = s.replace(/^(\[[^[\]]*\]\s*)*(re|fwd?)\s*(\[[^[\]]*\]\s*)?:\s*/i, '');
      const blob = /^\[[^[\]]*\]\s*/.exec(s);
      if (blob && s.length > blob[0].length) s = s.slice(blob[0].length);
      if (s === inner) break;
    }
    const wrapped = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (wrapped) s = wrapped[1]!.trim();
    if (s === before) return s;
  }
}

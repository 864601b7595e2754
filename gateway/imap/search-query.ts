// SEARCH criteria as the engine parses them (a tree of terms), evaluated over the message
// rows. Text criteria (TEXT, BODY, HEADER and the address/subject keys) are answered by
// MessageService.search, once per distinct term; the rest is metadata. Sent-date criteria
// read the Date header of each message.
import type { MessageMeta } from '../../services/message-service.js';
import type { SearchCriterion } from '../../services/message-search.js';

/** One parsed term: `key` and its operands as the engine produces them. */
export interface SearchTerm {
  key: string;
  value?: unknown;
  exists?: boolean;
  operator?: string;
  header?: string;
}
export type SearchQuery = SearchTerm | SearchQuery[];

export interface TextLookup {
  criterion: SearchCriterion;
  value: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The text lookups the query needs, each once, keyed as `lookupKey` does. */
export function textLookups(query: SearchQuery, out = new Map<string, TextLookup>()): Map<string, TextLookup> {
  if (Array.isArray(query)) {
    for (const q of query) textLookups(q, out);
    return out;
  }
  if (query.key === 'not') textLookups(query.value as SearchQuery, out);
  else if (query.key === 'or') textLookups(query.value as SearchQuery[], out);
  else {
    const lookup = toLookup(query);
    if (lookup) out.set(lookupKey(query), lookup);
  }
  return out;
}

function toLookup(term: SearchTerm): TextLookup | undefined {
  // The engine hands over strings as bytes in a binary string; search text is UTF-8.
  const value = Buffer.from(String(term.value ?? ''), 'latin1').toString('utf8');
  if (term.key === 'text' || term.key === 'body') return { criterion: { field: term.key }, value };
  if (term.key === 'header') return { criterion: { field: 'header', name: term.header ?? '' }, value };
  return undefined;
}

export function lookupKey(term: SearchTerm): string {
  return JSON.stringify([term.key, term.header ?? '', String(term.value ?? '')]);
}

export function usesSentDate(query: SearchQuery): boolean {
  if (Array.isArray(query)) return query.some(usesSentDate);
  if (query.key === 'not') return usesSentDate(query.value as SearchQuery);
  if (query.key === 'or') return (query.value as SearchQuery[]).some(usesSentDate);
  return query.key === 'date';
}

/** The CHARSET of the query, if it names one. */
export function charsetOf(query: SearchQuery): string | undefined {
  if (Array.isArray(query)) {
    for (const q of query) {
      const c = charsetOf(q);
      if (c !== undefined) return c;
    }
    return undefined;
  }
  return query.key === 'charset' ? String(query.value ?? '') : undefined;
}

export interface SearchInputs {
  /** uids matching each text lookup, by lookupKey. */
  text: Map<string, Set<number>>;
  /** Date header (UTC day, YYYY-MM-DD) per uid, when the query needs it. */
  sentDay: Map<number, string>;
}

export function matches(query: SearchQuery, m: MessageMeta, inputs: SearchInputs): boolean {
  if (Array.isArray(query)) return query.every((q) => matches(q, m, inputs));
  switch (query.key) {
    case 'all':
    case 'charset':
      return true;
    case 'not':
      return !matches(query.value as SearchQuery, m, inputs);
    case 'or':
      return (query.value as SearchQuery[]).some((q) => matches(q, m, inputs));
    case 'flag':
      return hasFlag(m.flags, String(query.value)) === Boolean(query.exists);
    case 'uid':
      return (query.value as number[]).includes(m.uid);
    case 'modseq':
      return m.modseq >= Number(query.value);
    case 'size':
      return compare(m.size, Number(query.value), query.operator);
    case 'internaldate':
      return compare(utcDay(m.internalDate), searchDay(String(query.value)), query.operator);
    case 'date': {
      const day = inputs.sentDay.get(m.uid) ?? utcDay(m.internalDate);
      return compare(day, searchDay(String(query.value)), query.operator);
    }
    case 'text':
    case 'body':
    case 'header':
      return inputs.text.get(lookupKey(query))?.has(m.uid) ?? false;
    default:
      return false;
  }
}

/** System flags match case-insensitively; \Recent is never set (RFC 9051 dropped it). */
function hasFlag(flags: readonly string[], flag: string): boolean {
  if (flag.startsWith('\\')) return flags.some((f) => f.toLowerCase() === flag.toLowerCase());
  return flags.includes(flag);
}

function compare<T extends number | string>(a: T, b: T, op: string | undefined): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return a === b;
  }
}

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `1-Feb-1994` (validated by the engine) as `1994-02-01`. */
function searchDay(value: string): string {
  const [d, mon, y] = value.split('-');
  const month = MONTHS.indexOf((mon ?? '').toLowerCase()) + 1;
  return `${y}-${String(month).padStart(2, '0')}-${(d ?? '').padStart(2, '0')}`;
}

/** The UTC day of a Date header value, or undefined when it does not parse. */
export function sentDay(dateHeader: string | undefined): string | undefined {
  if (!dateHeader) return undefined;
  const t = Date.parse(dateHeader.replace(/\([^)]*\)/g, ' ').trim());
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 10);
}

// Search documents: a message's unfolded header section and body, lowercased, built once per
// session from the decrypted bytes and kept within a budget (SearchDocCache), and the matching
// of one criterion against them.
import { decodeHeaderWords } from '../converters/header-fields.js';
import { bodyText } from '../converters/message-summary.js';

export interface SearchDoc {
  header: string;
  body: string;
}

export type SearchCriterion = { field: 'text' | 'body' } | { field: 'header'; name: string };

/** What search compares: text with case folded. A needle matches text whose folded form contains its own. */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

export function matches(doc: SearchDoc, criterion: SearchCriterion, needle: string): boolean {
  const hay = criterion.field === 'header' ? headerValues(doc.header, criterion.name) : criterion.field === 'body' ? doc.body : `${doc.header}\n${doc.body}`;
  return hay.includes(foldCase(needle));
}

/**
 * The header section unfolded with its encoded words decoded, and the body as its text parts
 * read (bodyText: base64 and quoted-printable undone, charsets decoded, HTML as text), so a word
 * is found however the message was encoded. A message whose structure cannot be read is
 * searched as its raw text.
 */
export function toSearchDoc(raw: Uint8Array): SearchDoc {
  const text = fromUtf8Lossy(raw);
  const split = text.search(/\r?\n\r?\n/);
  const header = foldCase(decodeHeaderWords((split === -1 ? text : text.slice(0, split)).replace(/\r?\n[ \t]/g, ' ')));
  let body: string;
  try {
    body = bodyText(raw);
  } catch {
    body = split === -1 ? '' : text.slice(split);
  }
  return { header, body: foldCase(body.trim()) };
}

/** Whether the message has a header field of that name. */
export function hasHeader(doc: SearchDoc, name: string): boolean {
  return fieldLines(doc.header, name).length > 0;
}

function headerValues(header: string, name: string): string {
  const prefix = `${name.toLowerCase()}:`;
  return fieldLines(header, name).map((l) => l.slice(prefix.length)).join('\n');
}

function fieldLines(header: string, name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return header.split(/\r?\n/).filter((l) => l.startsWith(prefix));
}

/** Search text: invalid UTF-8 becomes U+FFFD, which cannot match a typed word anyway. */
function fromUtf8Lossy(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

/** Characters of search documents one session keeps (about as many bytes for ASCII mail). */
export const SEARCH_CACHE_MAX_CHARS = 64 * 1024 * 1024;

/**
 * One session's search documents by blob id, least recently used first: past `maxChars` the
 * oldest are dropped (and decrypted again when a search needs them), so a large mailbox does
 * not keep all of its decrypted text in memory for the whole session.
 */
export class SearchDocCache {
  readonly #docs = new Map<number, SearchDoc>();
  #chars = 0;

  constructor(readonly maxChars: number = SEARCH_CACHE_MAX_CHARS) {}

  get chars(): number {
    return this.#chars;
  }

  /** The document, marked as just used; undefined when it is not kept. */
  get(blobId: number): SearchDoc | undefined {
    const doc = this.#docs.get(blobId);
    if (doc === undefined) return undefined;
    this.#docs.delete(blobId);
    this.#docs.set(blobId, doc);
    return doc;
  }

  set(blobId: number, doc: SearchDoc): void {
    this.#drop(blobId);
    this.#docs.set(blobId, doc);
    this.#chars += sizeOf(doc);
    for (const [oldest] of this.#docs) {
      if (this.#chars <= this.maxChars || oldest === blobId) break;
      this.#drop(oldest);
    }
  }

  #drop(blobId: number): void {
    const doc = this.#docs.get(blobId);
    if (doc === undefined) return;
    this.#docs.delete(blobId);
    this.#chars -= sizeOf(doc);
  }
}

const sizeOf = (doc: SearchDoc) => doc.header.length + doc.body.length;

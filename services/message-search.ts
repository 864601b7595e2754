// Search documents: a message's unfolded header section and body, lowercased, built once per
// session from the decrypted bytes, and the matching of one criterion against them.
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

export function toSearchDoc(raw: Uint8Array): SearchDoc {
  const text = fromUtf8Lossy(raw);
  const split = text.search(/\r?\n\r?\n/);
  const header = foldCase((split === -1 ? text : text.slice(0, split)).replace(/\r?\n[ \t]/g, ' '));
  const body = foldCase(split === -1 ? '' : text.slice(split).trim());
  return { header, body };
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

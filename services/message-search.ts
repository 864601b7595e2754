// Search documents: a message's unfolded header section and body, lowercased, built once per
// session from the decrypted bytes, and the matching of one criterion against them.
export interface SearchDoc {
  header: string;
  body: string;
}

export type SearchCriterion = { field: 'text' | 'body' } | { field: 'header'; name: string };

export function matches(doc: SearchDoc, criterion: SearchCriterion, needle: string): boolean {
  const hay = criterion.field === 'header' ? headerValues(doc.header, criterion.name) : criterion.field === 'body' ? doc.body : `${doc.header}\n${doc.body}`;
  return hay.includes(needle.toLowerCase());
}

export function toSearchDoc(raw: Uint8Array): SearchDoc {
  const text = fromUtf8Lossy(raw);
  const split = text.search(/\r?\n\r?\n/);
  const header = (split === -1 ? text : text.slice(0, split)).replace(/\r?\n[ \t]/g, ' ').toLowerCase();
  const body = split === -1 ? '' : text.slice(split).trim().toLowerCase();
  return { header, body };
}

function headerValues(header: string, name: string): string {
  const prefix = `${name.toLowerCase()}:`;
  return header.split(/\r?\n/).filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)).join('\n');
}

/** Search text: invalid UTF-8 becomes U+FFFD, which cannot match a typed word anyway. */
function fromUtf8Lossy(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

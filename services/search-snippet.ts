// Search snippets (JMAP SearchSnippet, RFC 8621 §5): a subject or a piece of body text with
// every match of the search terms wrapped in <mark></mark>, HTML-escaped (& < >), matched the
// way search matches (message-search.ts: case folded, a term is a substring). Pure: no I/O.
import { foldCase } from './message-search.js';

/** RFC 8621 §5: a preview snippet is at most 255 octets, marks and escapes included. */
export const SNIPPET_PREVIEW_BYTES = 255;
/** Characters of body text shown before the first match, so it is read in context. */
export const SNIPPET_CONTEXT_CHARS = 30;

const OPEN = '<mark>';
const CLOSE = '</mark>';

/** The subject with its matches marked, or null when no term occurs in it. */
export function subjectSnippet(subject: string, terms: readonly string[]): string | null {
  const ranges = matchRanges(subject, terms);
  return ranges.length === 0 ? null : render(subject, ranges, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * The part of the body text around the first match (whitespace runs as one space), marked and
 * cut to SNIPPET_PREVIEW_BYTES, or null when no term occurs in the text.
 */
export function previewSnippet(text: string, terms: readonly string[]): string | null {
  const flat = text.replace(/\s+/g, ' ').trim();
  const ranges = matchRanges(flat, terms);
  if (ranges.length === 0) return null;
  let start = Math.max(0, ranges[0]![0] - SNIPPET_CONTEXT_CHARS);
  // Begin at a word when the context cut one.
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    start = space !== -1 && space < ranges[0]![0] ? space + 1 : start;
  }
  return render(flat, ranges, start, SNIPPET_PREVIEW_BYTES);
}

/**
 * Where the terms occur in `text`: [start, end) UTF-16 offsets, sorted, overlaps merged. The
 * comparison is on folded text; an offset map leads back to the original characters, since
 * folding may change a character's length.
 */
export function matchRanges(text: string, terms: readonly string[]): Array<[number, number]> {
  let folded = '';
  const origin: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const f = foldCase(ch);
    for (let k = 0; k < f.length; k++) origin.push(i);
    folded += f;
    i += ch.length;
  }
  origin.push(text.length);
  const found: Array<[number, number]> = [];
  for (const term of new Set(terms.map((t) => foldCase(t.trim())).filter((t) => t !== ''))) {
    for (let at = folded.indexOf(term); at !== -1; at = folded.indexOf(term, at + 1)) {
      found.push([origin[at]!, endOf(text, origin[at + term.length - 1]!)]);
    }
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** The offset after the character that starts at `i`. */
function endOf(text: string, i: number): number {
  return i + String.fromCodePoint(text.codePointAt(i)!).length;
}

function escapeHtml(ch: string): string {
  return ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch;
}

/** `text` from `start`, escaped, with `ranges` marked, in at most `maxBytes` of UTF-8 (a mark is never left open). */
function render(text: string, ranges: ReadonlyArray<[number, number]>, start: number, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  let r = ranges.findIndex((x) => x[1] > start);
  let inMark = false;
  for (let i = start; i < text.length; ) {
    const range = r === -1 ? undefined : ranges[r];
    let piece = '';
    if (!inMark && range && i >= range[0]) {
      piece = OPEN;
      inMark = true;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    piece += escapeHtml(ch);
    const next = i + ch.length;
    const closing = inMark && range && next >= range[1];
    if (closing) piece += CLOSE;
    // Room is kept for the closing tag while a mark is open.
    const reserve = inMark && !closing ? CLOSE.length : 0;
    const size = Buffer.byteLength(piece);
    if (bytes + size + reserve > maxBytes) {
      if (inMark && piece.startsWith(OPEN)) inMark = false; // the mark never opened
      break;
    }
    out += piece;
    bytes += size;
    if (closing) {
      inMark = false;
      r = r + 1 < ranges.length ? r + 1 : -1;
    }
    i = next;
  }
  return inMark ? out + CLOSE : out;
}

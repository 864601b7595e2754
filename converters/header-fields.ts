// Reading the header section of a message or MIME entity from its bytes, without a MIME
// parser: where it ends, its fields (unfolded values, byte ranges) and their encoded words.
// Shared by threading, the submission checks, IMAP BODY[section], search, the postage reply
// and the converter's fallback. Pure: no I/O.
import libmime from 'libmime';

const CR = 0x0d;
const LF = 0x0a;

export interface HeaderField {
  /** Lowercased field name. */
  readonly name: string;
  /** The unfolded value, trimmed; bytes read as latin1. */
  readonly value: string;
  /** Byte range of the whole field, continuation lines and line end included. */
  readonly start: number;
  readonly end: number;
}

/** Offset after the blank line that ends the header at `start` (or `end` without one). */
export function headerEnd(raw: Uint8Array, start = 0, end = raw.length): number {
  let i = start;
  // An entity that starts with an empty line has an empty header.
  if (raw[i] === LF) return i + 1;
  if (raw[i] === CR && raw[i + 1] === LF) return i + 2;
  for (; i < end; i++) {
    if (raw[i] !== LF) continue;
    if (raw[i + 1] === LF && i + 1 < end) return i + 2;
    if (raw[i + 1] === CR && raw[i + 2] === LF && i + 2 < end) return i + 3;
  }
  return end;
}

/** The fields of the header between `start` and `end` (by default the message's own header). */
export function headerFields(raw: Uint8Array, start = 0, end = headerEnd(raw, start)): HeaderField[] {
  const fields: HeaderField[] = [];
  // Read as latin1 once: one character per byte, so offsets into it are byte offsets.
  const head = Buffer.from(raw.buffer, raw.byteOffset + start, end - start).toString('latin1');
  let i = start;
  while (i < end) {
    const lineEnd = nextLine(raw, i, end);
    // The blank line ends the header.
    if (lineEnd - i <= 2 && (raw[i] === LF || (raw[i] === CR && raw[i + 1] === LF))) break;
    let fieldEnd = lineEnd;
    while (fieldEnd < end && (raw[fieldEnd] === 0x20 || raw[fieldEnd] === 0x09)) fieldEnd = nextLine(raw, fieldEnd, end);
    const text = head.slice(i - start, fieldEnd - start);
    const colon = text.indexOf(':');
    if (colon > 0) {
      // Only a field with continuation lines has line breaks to remove.
      const value = text.slice(colon + 1);
      fields.push({ name: text.slice(0, colon).trim().toLowerCase(), value: (fieldEnd > lineEnd ? value.replace(/\r?\n(?=[ \t])/g, '') : value).trim(), start: i, end: fieldEnd });
    }
    i = fieldEnd;
  }
  return fields;
}

/** Offset after the next LF from `i` (or `end`). */
export function nextLine(raw: Uint8Array, i: number, end: number): number {
  while (i < end && raw[i] !== LF) i++;
  return Math.min(i + 1, end);
}

/** Header text with its encoded words (RFC 2047) decoded; text that does not decode is kept as it is. */
export function decodeHeaderWords(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

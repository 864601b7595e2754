// The MIME tree of a message as byte ranges of its bytes: where each entity's header and body
// start and end, its content type, its parts (multipart) or encapsulated message (message/rfc822).
// No decoding: IMAP BODY[section] slices the original bytes, the summary decodes what it needs. Pure.
import { headerEnd, headerFields, nextLine } from './header-fields.js';

/** Deepest MIME nesting followed; deeper parts are treated as opaque bodies. */
export const MAX_MIME_DEPTH = 32;

export interface MimePart {
  /** Offset of the part's first header byte. */
  readonly start: number;
  /** Offset just after the blank line ending the header (= start of the body). */
  readonly bodyStart: number;
  /** Offset just after the part's last body byte. */
  readonly end: number;
  /** Lowercased `type/subtype`; `text/plain` when absent. */
  readonly contentType: string;
  /** The parts of a multipart body. */
  readonly children: MimePart[] | null;
  /** The message inside a message/rfc822 (or global) body. */
  readonly embedded: MimePart | null;
}

const CR = 0x0d;
const LF = 0x0a;

export function parseMime(raw: Uint8Array, start = 0, end = raw.length, depth = 0): MimePart {
  const bodyStart = headerEnd(raw, start, end);
  const fields = headerFields(raw, start, bodyStart);
  const ct = fields.find((f) => f.name === 'content-type');
  const { type, boundary } = parseContentType(ct ? ct.value : '');
  let children: MimePart[] | null = null;
  let embedded: MimePart | null = null;
  if (depth < MAX_MIME_DEPTH) {
    if (type.startsWith('multipart/') && boundary) {
      children = splitMultipart(raw, bodyStart, end, boundary).map(([s, e]) => parseMime(raw, s, e, depth + 1));
    } else if (type === 'message/rfc822' || type === 'message/global') {
      embedded = parseMime(raw, bodyStart, end, depth + 1);
    }
  }
  return { start, bodyStart, end, contentType: type, children, embedded };
}

function parseContentType(value: string): { type: string; boundary: string | undefined } {
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() || 'text/plain';
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i.exec(value);
  const boundary = m ? (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]) : undefined;
  return { type, boundary };
}

/**
 * Byte ranges of the body parts between the delimiter lines `--boundary`. The line break
 * before a delimiter belongs to the delimiter (RFC 2046 §5.1.1), so it is not part of the
 * preceding part. Preamble and epilogue are not parts.
 */
function splitMultipart(raw: Uint8Array, start: number, end: number, boundary: string): Array<[number, number]> {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let i = start;
  while (i < end) {
    const lineEnd = nextLine(raw, i, end);
    if (startsWith(raw, i, lineEnd, delimiter)) {
      let rest = i + delimiter.length;
      const closing = raw[rest] === 0x2d && raw[rest + 1] === 0x2d;
      if (closing) rest += 2;
      if (onlyWhitespace(raw, rest, lineEnd)) {
        if (partStart !== -1) ranges.push([partStart, lineBreakBefore(raw, partStart, i)]);
        if (closing) return ranges;
        partStart = lineEnd;
      }
    }
    i = lineEnd;
  }
  // No closing delimiter: the last part runs to the end.
  if (partStart !== -1 && partStart <= end) ranges.push([partStart, end]);
  return ranges;
}

function startsWith(raw: Uint8Array, at: number, limit: number, prefix: Uint8Array): boolean {
  if (limit - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (raw[at + k] !== prefix[k]) return false;
  return true;
}

function onlyWhitespace(raw: Uint8Array, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = raw[k];
    if (c !== 0x20 && c !== 0x09 && c !== CR && c !== LF) return false;
  }
  return true;
}

/** `delimiterAt` minus the CRLF (or LF) just before it, never before `min`. */
function lineBreakBefore(raw: Uint8Array, min: number, delimiterAt: number): number {
  let e = delimiterAt;
  if (e > min && raw[e - 1] === LF) e--;
  if (e > min && raw[e - 1] === CR) e--;
  return e;
}

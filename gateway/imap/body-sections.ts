// BODY[section] over the stored bytes: locates RFC 3501 sections (HEADER, TEXT, MIME,
// HEADER.FIELDS, numbered parts, nested message/rfc822) as byte ranges of the original
// message, so every section is a slice of exactly what was delivered. Pure: no I/O.
import { headerEnd, headerFields, nextLine } from '../../converters/header-fields.js';

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

export interface SectionSpec {
  /** Dotted part numbers, '' for the message itself. */
  path: string;
  /** 'content', 'header', 'header.fields', 'header.fields.not', 'text' or 'mime'. */
  type: string;
  /** Field names for HEADER.FIELDS (lowercase). */
  headers?: readonly string[];
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

/** The bytes of one section, or undefined when the message has no such part. */
export function sectionBytes(raw: Uint8Array, root: MimePart, spec: SectionSpec): Uint8Array | undefined {
  const numbers = spec.path === '' ? [] : spec.path.split('.').map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n) || n < 1)) return undefined;
  const node = walk(root, numbers);
  if (!node) return undefined;
  const type = spec.type.toLowerCase();
  if (type === 'content') return numbers.length === 0 ? raw.subarray(root.start, root.end) : raw.subarray(node.bodyStart, node.end);
  if (type === 'mime') return numbers.length === 0 ? undefined : raw.subarray(node.start, node.bodyStart);
  // HEADER and TEXT of a numbered part refer to the message it encapsulates.
  const message = numbers.length === 0 ? root : node.embedded;
  if (!message) return undefined;
  if (type === 'header') return raw.subarray(message.start, message.bodyStart);
  if (type === 'text') return raw.subarray(message.bodyStart, message.end);
  if (type === 'header.fields' || type === 'header.fields.not') {
    const wanted = new Set((spec.headers ?? []).map((h) => h.toLowerCase()));
    const keep = headerFields(raw, message.start, message.bodyStart).filter((f) => wanted.has(f.name) !== (type === 'header.fields.not'));
    const parts = keep.map((f) => raw.subarray(f.start, f.end));
    return concat([...parts, new Uint8Array([CR, LF])]);
  }
  return undefined;
}

function walk(root: MimePart, numbers: readonly number[]): MimePart | undefined {
  let node: MimePart | undefined = root;
  for (const n of numbers) {
    if (!node) return undefined;
    node = childAt(node, n);
  }
  return node;
}

function childAt(part: MimePart, n: number): MimePart | undefined {
  if (part.children) return part.children[n - 1];
  if (part.embedded) return childAt(part.embedded, n);
  // A single-part body is part 1 of its own entity (RFC 3501 §6.4.5).
  return n === 1 ? part : undefined;
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

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** Bytes of the message header, the blank line that ends it included. */
export function headerLength(raw: Uint8Array): number {
  return headerEnd(raw, 0, raw.length);
}

/** The unfolded value of the first `name` field of the message header, if present. */
export function headerValue(raw: Uint8Array, name: string): string | undefined {
  const end = headerEnd(raw, 0, raw.length);
  return headerFields(raw, 0, end).find((f) => f.name === name.toLowerCase())?.value;
}

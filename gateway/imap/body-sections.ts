// BODY[section] over the stored bytes: locates RFC 3501 sections (HEADER, TEXT, MIME,
// HEADER.FIELDS, numbered parts, nested message/rfc822) as byte ranges of the original
// message, so every section is a slice of exactly what was delivered. Pure: no I/O.
import { headerEnd, headerFields } from '../../converters/header-fields.js';
import type { MimePart } from '../../converters/mime-parts.js';

export { MAX_MIME_DEPTH, parseMime, type MimePart } from '../../converters/mime-parts.js';

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

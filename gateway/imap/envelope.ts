// ENVELOPE without the engine's whole MIME parser, which was most of `FETCH 1:* (ENVELOPE)`.
// `envelopeFields` reads the ten header fields the envelope uses from the top-level header the
// way that parser reads them (same line breaks, unfolding, duplicates and address parser);
// the engine builds and encodes the envelope from them. `plainEnvelope` builds that same value
// directly when there is nothing to decode or encode (every text US-ASCII, no encoded words,
// no IDN labels, no groups) — the common case, where the engine's decoding and encoding of
// each address part would leave it as it is.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The address parser the engine's MIME parser loads, resolved from the engine's own location.
const addressparser = createRequire(require.resolve('wildduck/imap-core/lib/indexer/parse-mime-tree.js'))('nodemailer/lib/addressparser') as (value: string) => unknown[];

const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id']);
const SINGLE_VALUED = ['in-reply-to', 'message-id'];
const ADDRESS_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc'];
const NON_ASCII = /[\u0080-\uffff]/;
/** What makes the engine's decoding or encoding change a value: 8-bit text, encoded words, IDN labels. */
const NOT_PLAIN = /[\u0080-\uffff]|=\?|xn--/i;
const CR = 13;
const LF = 10;

type FieldValue = string | string[] | unknown[];

/** The engine's `parsedHeader` of `header`, restricted to the ENVELOPE fields. */
export function envelopeFields(header: Uint8Array): Record<string, FieldValue> {
  const lines = headerLines(Buffer.from(header.buffer, header.byteOffset, header.byteLength).toString('latin1'));
  const parsed: Record<string, FieldValue> = {};
  // Last to first, as the engine goes: a continuation line joins the line before it.
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (i > 0 && /^\s/.test(line)) {
      lines[i - 1] = `${lines[i - 1]}\r\n${line}`;
      continue;
    }
    const parts = line.split(':');
    const key = (parts.shift() ?? '').trim().toLowerCase();
    if (!ENVELOPE_FIELDS.has(key)) continue;
    const text = parts.join(':').trim();
    // The engine reads 8-bit header bytes as UTF-8.
    const value = NON_ASCII.test(text) ? Buffer.from(text, 'latin1').toString() : text;
    const earlier = parsed[key];
    if (earlier === undefined) parsed[key] = value.replace(/\s*\r?\n\s*/g, ' ');
    else if (Array.isArray(earlier)) earlier.unshift(value);
    else parsed[key] = [value, earlier];
  }
  for (const key of SINGLE_VALUED) {
    const value = parsed[key];
    if (Array.isArray(value)) parsed[key] = value.pop() as string;
  }
  for (const key of ADDRESS_FIELDS) {
    const value = parsed[key];
    if (!value) continue;
    parsed[key] = ([] as unknown[]).concat(value).flatMap((v) => (v ? addressparser(v as string) ?? [] : []));
  }
  return parsed;
}

/**
 * The lines before the first empty one, split where the engine's `readLine` splits them (its
 * pattern `(.*?)(\r*\n|\r(?!\n)|\r*$)`): a line ends at the first CR or LF; CRs followed
 * by LF are one break, any other CR is a break of its own.
 */
function headerLines(text: string): string[] {
  const lines: string[] = [];
  let pos = 0;
  for (;;) {
    let end = pos;
    while (end < text.length && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
    if (end === pos) return lines;
    lines.push(text.slice(pos, end));
    if (end === text.length) return lines;
    let crs = end;
    while (text.charCodeAt(crs) === CR) crs++;
    pos = text.charCodeAt(crs) === LF ? crs + 1 : end + 1;
  }
}

type PlainAddress = [string | null, null, string | null, string | null];
interface ParsedAddress {
  name?: string;
  address?: string;
  group?: unknown;
}

/**
 * The ENVELOPE value the engine's getQueryResponse gives for `fields` (without UTF8=ACCEPT),
 * or undefined when a value would be decoded or encoded: then the engine must build it.
 */
export function plainEnvelope(fields: Record<string, FieldValue>): unknown[] | undefined {
  const subject = fields['subject'] ?? '';
  if (typeof subject !== 'string' || NOT_PLAIN.test(subject)) return undefined;
  const from = addresses(fields['from']);
  // Sender and Reply-To default to From (RFC 3501 §7.4.2).
  const orFrom = (list: PlainAddress[] | null | undefined) => (list === null ? from : list);
  const lists = [from, orFrom(addresses(fields['sender'])), orFrom(addresses(fields['reply-to'])), addresses(fields['to']), addresses(fields['cc']), addresses(fields['bcc'])];
  if (lists.includes(undefined)) return undefined;
  return [fields['date'] || null, subject.trim(), ...lists.map((l) => (l === null ? null : l!.map((a) => [...a]))), fields['in-reply-to'] || null, fields['message-id'] || null];
}

/** An address field as the engine lists it (null when absent or empty), undefined if not plain. */
function addresses(value: FieldValue | undefined): PlainAddress[] | null | undefined {
  const list = ([] as unknown[]).concat(value || []) as ParsedAddress[];
  if (list.length === 0) return null;
  const result: PlainAddress[] = [];
  for (const addr of list) {
    if (addr.group) return undefined;
    const name = addr.name || null;
    const user = (addr.address || '').split('@').shift() || null;
    const domain = (addr.address || '').split('@').pop() || null;
    if ([name, user, domain].some((v) => v !== null && NOT_PLAIN.test(v))) return undefined;
    result.push([name, null, user, domain]);
  }
  return result;
}

// A message's summary: its top-level header bytes, the JMAP preview and hasAttachment, made once
// when the message is stored so that list views (IMAP ENVELOPE and header fetches, JMAP
// Email/get) never decrypt or parse the whole message. The text rules follow mailparser's,
// which readEmailContent uses, so both give the same preview. Pure: no I/O.
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { ConverterError } from './errors.js';
import { headerEnd, headerFields, type HeaderField } from './header-fields.js';
import { MimeLimits } from './limits.js';
import { parseMime, type MimePart } from './mime-parts.js';

/** Characters of the Email `preview` (RFC 8621 §4.1.4: at most 256). */
export const PREVIEW_CHARS = 256;

export interface MessageSummary {
  /** The top-level header exactly as stored, the blank line that ends it included. */
  readonly header: Uint8Array;
  /** RFC 8621 `preview`: the start of the text, whitespace collapsed, at most PREVIEW_CHARS characters. */
  readonly preview: string;
  readonly hasAttachment: boolean;
}

/** Content types mailparser reads as text (the others are attachments whatever their disposition). */
const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

interface TextPart {
  readonly part: MimePart;
  readonly fields: readonly HeaderField[];
  readonly type: string;
  /** Inside a multipart/alternative. */
  readonly alternative: boolean;
  readonly root: boolean;
}

/** `mime` is the message's MIME tree, when the caller has parsed it already (`parseMime(raw)`). */
export function summarize(raw: Uint8Array, mime: MimePart = parseMime(raw)): MessageSummary {
  const header = raw.slice(0, headerEnd(raw, 0, raw.length));
  const texts: TextPart[] = [];
  const found = { attachment: false };
  visit(raw, mime, false, true, texts, found);
  return { header, preview: previewOf(raw, texts), hasAttachment: found.attachment };
}

/**
 * What body search reads: the decoded text of the inline text parts (transfer encoding and
 * charset undone, HTML as text), joined by line breaks, in the parts summarize reads (both
 * alternatives of a multipart/alternative). A message that is one plain UTF-8 or ASCII text
 * part is its body as it is, without a MIME walk.
 */
export function bodyText(raw: Uint8Array, mime?: MimePart): string {
  if (mime === undefined) {
    const plain = plainTextBody(raw);
    if (plain !== undefined) return plain;
  }
  const texts: TextPart[] = [];
  visit(raw, mime ?? parseMime(raw), false, true, texts, { attachment: false });
  return texts
    .map((t) => {
      const content = decodePart(raw, t);
      return t.type === 'text/html' ? htmlToText(content) : content;
    })
    .join('\n');
}

/** The body of a single text/plain part in UTF-8 or ASCII with no transfer encoding to undo; else undefined. */
function plainTextBody(raw: Uint8Array): string | undefined {
  const end = headerEnd(raw, 0, raw.length);
  const fields = headerFields(raw, 0, end);
  const field = (name: string) => fields.find((f) => f.name === name)?.value;
  if (field('content-disposition') !== undefined || !['', '7bit', '8bit'].includes(transferEncoding(field('content-transfer-encoding')))) return undefined;
  const contentType = field('content-type');
  if (contentType !== undefined) {
    const parsed = libmime.parseHeaderValue(contentType);
    if (parsed.value.toLowerCase().trim() !== 'text/plain' || parsed.params.format !== undefined) return undefined;
    if (!readsAsUtf8(parsed.params.charset)) return undefined;
  }
  return Buffer.from(raw.buffer, raw.byteOffset + end, raw.length - end).toString();
}

/** Whether text in this charset (unset or empty: UTF-8) is read as UTF-8 as it is: ASCII and UTF-8. */
function readsAsUtf8(charset: string | undefined): boolean {
  return ['ascii', 'usascii', 'utf8'].includes((charset || 'utf-8').toLowerCase().replace(/[^a-z0-9]+/g, ''));
}

/** Collects the inline text parts in order and notes whether any part is an attachment. */
function visit(raw: Uint8Array, part: MimePart, alternative: boolean, root: boolean, texts: TextPart[], found: { attachment: boolean }): void {
  const fields = headerFields(raw, part.start, part.bodyStart);
  const field = (name: string) => fields.find((f) => f.name === name)?.value;
  const dispositionValue = field('content-disposition');
  const disposition = dispositionValue === undefined ? undefined : libmime.parseHeaderValue(dispositionValue);
  const rawDisposition = (disposition?.value ?? '').toLowerCase().trim();
  // An empty Content-Type is text/plain at the top, a file below it (as mailparser reads it).
  const type = contentTypeOf(field('content-type'), rawDisposition, disposition?.params.filename) || (root ? 'text/plain' : '');
  if (type.startsWith('multipart/')) {
    const inAlternative = alternative || type === 'multipart/alternative';
    for (const child of part.children ?? []) visit(raw, child, inAlternative, false, texts, found);
    return;
  }
  // An inline message/rfc822 in a plain transfer encoding is read as a message; any other is a file.
  if (type === 'message/rfc822' && part.embedded && rawDisposition === 'inline' && ['', '7bit', '8bit', 'binary'].includes(transferEncoding(field('content-transfer-encoding')))) {
    visit(raw, part.embedded, alternative, false, texts, found);
    return;
  }
  let effective = rawDisposition;
  if (effective && effective !== 'attachment' && effective !== 'inline') effective = 'attachment';
  if (!effective) effective = TEXT_TYPES.has(type) ? 'inline' : 'attachment';
  if (!TEXT_TYPES.has(type) || effective !== 'inline') {
    // Inline parts with a Content-ID (images of an HTML body) are not attachments.
    const cid = (field('content-id') ?? '').trim().replace(/^<|>$/g, '').trim();
    if (rawDisposition !== 'inline' || cid === '') found.attachment = true;
    return;
  }
  texts.push({ part, fields, type, alternative, root });
}

/** The content type as mailsplit sets it: without a Content-Type, from the file name or the disposition. */
function contentTypeOf(value: string | undefined, disposition: string, filename: string | undefined): string {
  if (value !== undefined) return libmime.parseHeaderValue(value).value.toLowerCase().trim();
  const extension = filename ? /\.([^./\\]+)$/.exec(filename)?.[1] : undefined;
  if (extension) return libmime.detectMimeType(extension);
  return disposition === 'attachment' ? 'application/octet-stream' : 'text/plain';
}

function transferEncoding(value: string | undefined): string {
  return (value ?? '').replace(/\(.*\)/g, '').toLowerCase().trim();
}

/**
 * The text mailparser makes (its `text`: the inline text/plain parts, and HTML parts outside an
 * alternative next to them, joined by line breaks), cut to the preview. Where mailparser finds
 * no text, the first HTML part is used (RFC 8621 §4.1.4: the preview shows the text of the body).
 * Parts are decoded only until the preview is full.
 */
function previewOf(raw: Uint8Array, texts: readonly TextPart[]): string {
  const hasText = texts.some((t) => t.type !== 'text/html');
  const preview = new PreviewBuilder();
  let pieces = 0;
  for (const t of texts) {
    if (t.type === 'text/html' && !((!t.alternative && hasText) || (t.root && !hasText))) continue;
    const content = decodePart(raw, t);
    if (content === '') continue;
    // mailparser joins the parts with a line break.
    if (pieces++ > 0) preview.add('\n');
    preview.add(t.type === 'text/html' ? htmlToText(content) : content);
    if (preview.full) break;
  }
  if (pieces === 0 && !hasText) {
    const html = texts.find((t) => t.type === 'text/html');
    if (html) preview.add(htmlToText(decodePart(raw, html)));
  }
  return preview.text;
}

/**
 * Builds `[...text.replace(/\s+/g, ' ').trim()].slice(0, PREVIEW_CHARS).join('')` (mailparser's
 * preview) from pieces of text, reading each only until the preview is full: a space is written
 * only once a character follows it, so what is written never changes.
 */
class PreviewBuilder {
  text = '';
  #count = 0;
  #space = false;

  get full(): boolean {
    return this.#count >= PREVIEW_CHARS;
  }

  add(piece: string): void {
    for (let i = 0; i < piece.length && !this.full; i++) {
      const c = piece.charCodeAt(i);
      if (isSpace(c)) {
        this.#space = this.#count > 0;
        continue;
      }
      if (this.#space) {
        this.text += ' ';
        this.#space = false;
        if (++this.#count >= PREVIEW_CHARS) return;
      }
      const d = piece.charCodeAt(i + 1);
      // A surrogate pair is one character; a lone surrogate counts as one too (as [...s] does).
      if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        this.text += piece.slice(i, i + 2);
        i++;
      } else this.text += piece[i];
      this.#count++;
    }
  }
}

/** What `\s` matches in a JavaScript regular expression. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The UTF-16 offset after `count` code points of `s` from `start`, or -1 when it has fewer. */
function codePointEnd(s: string, start: number, count: number): number {
  let i = start;
  for (let k = 0; k < count; k++) {
    if (i >= s.length) return -1;
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    // A surrogate pair is one character; a lone surrogate counts as one too (as [...s] does).
    i += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
  }
  return i;
}

/** A text part's content: transfer encoding, format=flowed and charset decoded. */
function decodePart(raw: Uint8Array, t: TextPart): string {
  const field = (name: string) => t.fields.find((f) => f.name === name)?.value;
  const contentType = libmime.parseHeaderValue(field('content-type') ?? 'text/plain');
  let bytes: Buffer = Buffer.from(raw.buffer, raw.byteOffset + t.part.bodyStart, t.part.end - t.part.bodyStart);
  const encoding = transferEncoding(field('content-transfer-encoding'));
  if (encoding === 'base64') bytes = Buffer.from(bytes.toString('latin1'), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(bytes);
  if ((contentType.params.format ?? '').toLowerCase().trim() === 'flowed') {
    const delSp = (contentType.params.delsp ?? '').toLowerCase().trim() === 'yes';
    bytes = Buffer.from(libmime.decodeFlowed(bytes.toString('binary'), delSp), 'binary');
  }
  const charset = contentType.params.charset || 'utf-8';
  let text: string;
  if (readsAsUtf8(charset)) text = bytes.toString();
  else {
    try {
      text = decodeCharset(bytes, charset);
    } catch {
      text = bytes.toString();
    }
  }
  return text;
}

function decodeQuotedPrintable(bytes: Buffer): Buffer {
  // Soft line breaks (with any trailing whitespace before them) go; =XX becomes its byte.
  const text = bytes.toString('latin1').replace(/[ \t]*=\r?\n/g, '');
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[n++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul',
]);
const SKIPPED_TAGS = new Set(['script', 'style', 'head', 'title', 'template', 'noscript']);
const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', bull: '•', middot: '·', euro: '€', pound: '£', yen: '¥', cent: '¢', deg: '°', shy: '',
};

/**
 * The words of an HTML body, the way html-to-text (mailparser's renderer) reads them: only the
 * <body> when there is one, scripts and styles dropped, headings in capitals, a link followed by
 * its [address], list items starting with `*`; block elements break words, inline ones do not.
 * Not html-to-text's layout (tables, wrapping): whitespace is collapsed for the preview anyway.
 */
export function htmlToText(html: string): string {
  const source = html.length > MimeLimits.MAX_HTML_TO_TEXT_CHARS ? html.slice(0, MimeLimits.MAX_HTML_TO_TEXT_CHARS) : html;
  // One pass, no backtracking regular expression over the document: hostile HTML stays linear.
  const lower = source.toLowerCase();
  let out: string[] = [];
  let heading = 0;
  const links: Array<string | undefined> = [];
  let at = 0;
  const text = (to: number) => {
    const t = decodeEntities(source.slice(at, to));
    out.push(heading > 0 ? t.toUpperCase() : t);
  };
  for (let lt = source.indexOf('<'); lt !== -1 && lt < source.length; lt = source.indexOf('<', at)) {
    if (lower.startsWith('<!--', lt)) {
      text(lt);
      const close = source.indexOf('-->', lt + 4);
      at = close === -1 ? source.length : close + 3;
      continue;
    }
    const tag = /^<(\/?)([a-z][a-z0-9-]*)/.exec(lower.slice(lt, lt + 64)) ?? (/^<[!?]/.test(source.slice(lt, lt + 2)) ? ['', '', ''] : null);
    if (!tag) {
      // A '<' that starts no tag is text.
      text(lt + 1);
      at = lt + 1;
      continue;
    }
    text(lt);
    const end = tagEnd(source, lt + 1);
    at = end;
    const [, slash, name] = tag;
    if (!name) continue;
    const closing = slash === '/';
    if (name === 'body') {
      // Only the body is read when there is one.
      if (closing) return out.join('');
      out = [];
      continue;
    }
    if (!closing && SKIPPED_TAGS.has(name)) {
      const close = lower.indexOf(`</${name}`, end);
      at = close === -1 ? source.length : tagEnd(source, close + 1);
      continue;
    }
    if (/^h[1-6]$/.test(name)) heading = Math.max(0, heading + (closing ? -1 : 1));
    if (name === 'a') {
      if (closing) {
        const href = links.pop();
        if (href) out.push(` [${href}]`);
      } else links.push(linkOf(source.slice(lt, end)));
    }
    if (BLOCK_TAGS.has(name)) out.push(name === 'li' && !closing ? '\n * ' : '\n');
  }
  if (at < source.length) text(source.length);
  return out.join('');
}

/** Offset after the '>' that closes the tag whose name starts at `from` (a quoted attribute value may hold '>'). */
function tagEnd(source: string, from: number): number {
  let quote = '';
  let afterEquals = false;
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if ((c === '"' || c === "'") && afterEquals) quote = c;
    else if (c === '>') return i + 1;
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') afterEquals = c === '=';
  }
  return source.length;
}

function linkOf(attributes: string): string | undefined {
  const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attributes);
  const href = decodeEntities(m?.[1] ?? m?.[2] ?? m?.[3] ?? '').trim();
  // Anchors within the page are not shown (html-to-text's noAnchorUrl).
  return href === '' || href.startsWith('#') ? undefined : href;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Stored form, binary: version 0x01 | flags (bit 0: hasAttachment) | header length (uint32, big
 * endian) | header | preview (UTF-8, the rest).
 */
const VERSION = 1;
const FIXED = 6;

export function encodeSummary(s: MessageSummary): Uint8Array {
  const preview = Buffer.from(s.preview, 'utf8');
  const out = new Uint8Array(FIXED + s.header.length + preview.length);
  out[0] = VERSION;
  out[1] = s.hasAttachment ? 1 : 0;
  new DataView(out.buffer).setUint32(2, s.header.length);
  out.set(s.header, FIXED);
  out.set(preview, FIXED + s.header.length);
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The summary `encodeSummary` wrote; anything else is ConverterError `invalid_summary`. */
export function decodeSummary(bytes: Uint8Array): MessageSummary {
  if (!(bytes instanceof Uint8Array) || bytes.length < FIXED) throw new ConverterError('invalid_summary', 'too short');
  if (bytes[0] !== VERSION) throw new ConverterError('invalid_summary', `unknown version ${bytes[0]}`);
  if (bytes[1]! > 1) throw new ConverterError('invalid_summary', `unknown flags ${bytes[1]}`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (headerLength > bytes.length - FIXED) throw new ConverterError('invalid_summary', 'header length past the end');
  let preview: string;
  try {
    preview = UTF8.decode(bytes.subarray(FIXED + headerLength));
  } catch (cause) {
    throw new ConverterError('invalid_summary', 'preview is not UTF-8', { cause });
  }
  if (preview.length > PREVIEW_CHARS && codePointEnd(preview, 0, PREVIEW_CHARS + 1) !== -1) throw new ConverterError('invalid_summary', `preview longer than ${PREVIEW_CHARS} characters`);
  return { header: bytes.slice(FIXED, FIXED + headerLength), preview, hasAttachment: bytes[1] === 1 };
}

// The body of an Email (RFC 8621 §4.1.4): the EmailBodyPart tree of the message's MIME parts,
// located as byte ranges of the stored message (converters/mime-parts.ts, as IMAP BODY[section]),
// textBody/htmlBody/attachments by the RFC's parseStructure, part contents after transfer
// decoding (what a part's blobId downloads) and bodyValues decoded from their charset. partIds
// are IMAP section numbers ("1", "1.2"); multipart parts have none. A message/rfc822 part is a
// leaf whose blob is the attached message (Email/parse reads it).
import libmime from 'libmime';
import { MAX_MIME_DEPTH, parseMime, type MimePart } from '../../converters/mime-parts.js';
import { MethodError } from './errors.js';
import { parseHeaderProperty, rawHeaders, headerPropertyValue, type HeaderProperty, type RawHeader } from './email-header-forms.js';
import { partBlobIdOf } from './ids.js';

export interface BodyPart {
  /** Dotted section number; null for a multipart part. */
  readonly partId: string | null;
  readonly headers: RawHeader[];
  /** Lowercased type/subtype. */
  readonly type: string;
  readonly charset: string | null;
  readonly name: string | null;
  readonly disposition: string | null;
  readonly cid: string | null;
  readonly language: string[] | null;
  readonly location: string | null;
  /** Lowercased Content-Transfer-Encoding ('7bit' without one). */
  readonly encoding: string;
  readonly subParts: BodyPart[] | null;
  /** Where the part's content lies in the message. */
  readonly bodyStart: number;
  readonly end: number;
}

/** RFC 8621 §4.2: the EmailBodyPart properties returned when bodyProperties is not given. */
export const DEFAULT_BODY_PROPERTIES = ['partId', 'blobId', 'size', 'name', 'type', 'charset', 'disposition', 'cid', 'language', 'location'] as const;
const BODY_PROPERTIES: ReadonlySet<string> = new Set([...DEFAULT_BODY_PROPERTIES, 'headers', 'subParts']);

/** The body properties to return, or invalidArguments naming the first unknown one. */
export function bodyPropertiesOf(requested: readonly string[] | null | undefined): BodyPropertyList {
  if (requested === null || requested === undefined) return { names: DEFAULT_BODY_PROPERTIES, headers: new Map() };
  const headers = new Map<string, HeaderProperty>();
  for (const p of requested) {
    if (BODY_PROPERTIES.has(p)) continue;
    const header = parseHeaderProperty(p);
    if (!header) throw new MethodError('invalidArguments', `unknown or unsupported body property ${p}`);
    headers.set(p, header);
  }
  return { names: requested, headers };
}

export interface BodyPropertyList {
  readonly names: readonly string[];
  readonly headers: ReadonlyMap<string, HeaderProperty>;
}

/** The part tree of `raw`; `mime` is its MIME tree, when the caller has parsed it already. */
export function bodyTree(raw: Uint8Array, mime: MimePart = parseMime(raw)): BodyPart {
  return partOf(raw, mime, '');
}

function partOf(raw: Uint8Array, node: MimePart, section: string): BodyPart {
  const headers = rawHeaders(raw, node.start, node.bodyStart);
  const field = (name: string): string | undefined => {
    const f = headers.find((h) => h.name.toLowerCase() === name);
    return f === undefined ? undefined : f.value.replace(/\r?\n(?=[ \t])/g, '').trim();
  };
  const ct = field('content-type');
  const contentType = ct ? libmime.parseHeaderValue(ct) : { value: '', params: {} as Record<string, string> };
  const type = node.contentType;
  const cd = field('content-disposition');
  const disposition = cd ? libmime.parseHeaderValue(cd) : undefined;
  const fileName = disposition?.params['filename'] ?? contentType.params['name'];
  const multipart = type.startsWith('multipart/');
  const charset = contentType.params['charset'] ?? (ct === undefined || type.startsWith('text/') ? 'us-ascii' : null);
  const cid = field('content-id');
  const language = field('content-language');
  return {
    partId: multipart ? null : section || '1',
    headers,
    type,
    charset: charset === '' ? null : charset,
    name: fileName ? decodeWords(fileName) : null,
    disposition: disposition?.value ? disposition.value.toLowerCase() : null,
    cid: cid ? cid.replace(/^<|>$/g, '').trim() : null,
    language: language ? language.split(',').map((l) => l.trim()).filter((l) => l !== '') : null,
    location: field('content-location') || null,
    encoding: (field('content-transfer-encoding') ?? '7bit').toLowerCase(),
    subParts: multipart ? (node.children ?? []).map((c, i) => partOf(raw, c, section === '' ? String(i + 1) : `${section}.${i + 1}`)) : null,
    bodyStart: node.bodyStart,
    end: node.end,
  };
}

function decodeWords(text: string): string {
  return text.includes('=?') ? libmime.decodeWords(text) : text;
}

/** The part with `partId`, if the tree has one. */
export function findPart(root: BodyPart, partId: string): BodyPart | undefined {
  if (root.partId === partId) return root;
  for (const p of root.subParts ?? []) {
    const found = findPart(p, partId);
    if (found) return found;
  }
  return undefined;
}

/** A part's content after its Content-Transfer-Encoding is undone (an unknown one is left as is). */
export function partContent(raw: Uint8Array, part: BodyPart): Uint8Array {
  const body = raw.subarray(part.bodyStart, part.end);
  if (part.encoding === 'base64') return Buffer.from(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), 'base64');
  if (part.encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/**
 * The decoded content of the part `partId` of the message `raw`, undefined when there is no such
 * part. Past a message/rfc822 part the numbers go on in the attached message, as in IMAP.
 */
export function partBytes(raw: Uint8Array, partId: string, depth = 0): Uint8Array | undefined {
  const tree = bodyTree(raw);
  const part = findPart(tree, partId);
  if (part && part.partId !== null) return partContent(raw, part);
  const numbers = partId.split('.');
  for (let k = numbers.length - 1; k >= 1 && depth < MAX_MIME_DEPTH; k--) {
    const outer = findPart(tree, numbers.slice(0, k).join('.'));
    if (outer && outer.partId !== null && (outer.type === 'message/rfc822' || outer.type === 'message/global')) {
      return partBytes(partContent(raw, outer), numbers.slice(k).join('.'), depth + 1);
    }
  }
  return undefined;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

function decodeQuotedPrintable(body: Uint8Array): Uint8Array {
  const out = Buffer.alloc(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // A soft line break: '=' then optional blanks and the line end.
    let j = i + 1;
    while (body[j] === 0x20 || body[j] === 0x09) j++;
    if (body[j] === 0x0a || (body[j] === 0x0d && body[j + 1] === 0x0a) || j === body.length) {
      i = body[j] === 0x0d ? j + 1 : j;
      continue;
    }
    const hex = String.fromCharCode(body[i + 1] ?? 0, body[i + 2] ?? 0);
    if (HEX.test(hex)) {
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

export interface BodyLists {
  readonly textBody: BodyPart[];
  readonly htmlBody: BodyPart[];
  readonly attachments: BodyPart[];
}

/** textBody, htmlBody and attachments as RFC 8621 §4.1.4's parseStructure finds them. */
export function bodyLists(root: BodyPart): BodyLists {
  const lists = { textBody: [] as BodyPart[], htmlBody: [] as BodyPart[], attachments: [] as BodyPart[] };
  parseStructure([root], 'mixed', false, lists.htmlBody, lists.textBody, lists.attachments);
  return lists;
}

const isInlineMediaType = (type: string): boolean => type.startsWith('image/') || type.startsWith('audio/') || type.startsWith('video/');

function parseStructure(parts: readonly BodyPart[], multipartType: string, inAlternative: boolean, htmlBody: BodyPart[] | null, textBody: BodyPart[] | null, attachments: BodyPart[]): void {
  const textLength = textBody ? textBody.length : -1;
  const htmlLength = htmlBody ? htmlBody.length : -1;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const isMultipart = part.type.startsWith('multipart/');
    const isInline = part.disposition !== 'attachment'
      && (part.type === 'text/plain' || part.type === 'text/html' || isInlineMediaType(part.type))
      && (i === 0 || (multipartType !== 'related' && (isInlineMediaType(part.type) || !part.name)));
    if (isMultipart) {
      const subMultiType = part.type.split('/')[1]!;
      parseStructure(part.subParts ?? [], subMultiType, inAlternative || subMultiType === 'alternative', htmlBody, textBody, attachments);
    } else if (isInline) {
      if (multipartType === 'alternative') {
        if (part.type === 'text/plain') textBody?.push(part);
        else if (part.type === 'text/html') htmlBody?.push(part);
        else attachments.push(part);
        continue;
      } else if (inAlternative) {
        if (part.type === 'text/plain') htmlBody = null;
        if (part.type === 'text/html') textBody = null;
      }
      textBody?.push(part);
      htmlBody?.push(part);
      if ((!textBody || !htmlBody) && isInlineMediaType(part.type)) attachments.push(part);
    } else {
      attachments.push(part);
    }
  }
  if (multipartType === 'alternative' && textBody && htmlBody) {
    // Only an HTML part found: it stands for the text too; and the other way round.
    if (textLength === textBody.length && htmlLength !== htmlBody.length) for (let i = htmlLength; i < htmlBody.length; i++) textBody.push(htmlBody[i]!);
    if (htmlLength === htmlBody.length && textLength !== textBody.length) for (let i = textLength; i < textBody.length; i++) htmlBody.push(textBody[i]!);
  }
}

/** A part as an EmailBodyPart object with the asked properties; `blobId` is the message's JMAP blob id. */
export function bodyPartObject(raw: Uint8Array, part: BodyPart, blobId: string, props: BodyPropertyList, withSubParts: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of props.names) {
    const header = props.headers.get(p);
    if (header) out[p] = headerPropertyValue(part.headers, header);
    else if (p === 'subParts') out[p] = part.subParts ? part.subParts.map((s) => bodyPartObject(raw, s, blobId, props, withSubParts)) : null;
    else out[p] = simpleProperty(raw, part, blobId, p);
  }
  if (withSubParts && part.subParts && !('subParts' in out)) out['subParts'] = part.subParts.map((s) => bodyPartObject(raw, s, blobId, props, true));
  return out;
}

function simpleProperty(raw: Uint8Array, part: BodyPart, blobId: string, p: string): unknown {
  switch (p) {
    case 'partId':
      return part.partId;
    case 'blobId':
      return part.partId === null ? null : partBlobIdOf(blobId, part.partId);
    case 'size':
      return sizeOf(raw, part);
    case 'headers':
      return part.headers;
    case 'name':
      return part.name;
    case 'type':
      return part.type;
    case 'charset':
      return part.charset;
    case 'disposition':
      return part.disposition;
    case 'cid':
      return part.cid;
    case 'language':
      return part.language;
    case 'location':
      return part.location;
  }
  return undefined;
}

/** Decoded sizes by part: a part is in bodyStructure and in a list or two, and decoding is the cost. */
const sizes = new WeakMap<BodyPart, number>();

/** The decoded size of a part; of a multipart part, its body's octets. */
function sizeOf(raw: Uint8Array, part: BodyPart): number {
  if (part.partId === null) return part.end - part.bodyStart;
  let size = sizes.get(part);
  if (size === undefined) sizes.set(part, (size = partContent(raw, part).length));
  return size;
}

export interface BodyValue {
  readonly value: string;
  readonly isEncodingProblem: boolean;
  readonly isTruncated: boolean;
}

/** A text part's content as a string: decoded from its charset, line ends as LF, cut to `maxBytes` of UTF-8 (0: no limit). */
export function bodyValueOf(raw: Uint8Array, part: BodyPart, maxBytes: number): BodyValue {
  const bytes = partContent(raw, part);
  const known = part.encoding === '7bit' || part.encoding === '8bit' || part.encoding === 'binary' || part.encoding === 'base64' || part.encoding === 'quoted-printable';
  const { text, problem } = decodeCharset(bytes, part.charset ?? 'us-ascii');
  return truncate(text.replace(/\r\n?/g, '\n'), maxBytes, part.type === 'text/html', problem || !known);
}

function decodeCharset(bytes: Uint8Array, charset: string): { text: string; problem: boolean } {
  const label = charset.trim().toLowerCase();
  // Undeclared or US-ASCII parts often hold UTF-8: taken as such when they are valid UTF-8.
  const labels = label === 'us-ascii' || label === 'ascii' ? ['utf-8', 'windows-1252'] : [label];
  for (const l of labels) {
    let decoder: InstanceType<typeof TextDecoder>;
    try {
      decoder = new TextDecoder(l, { fatal: true });
    } catch {
      break; // a charset this server does not know
    }
    try {
      return { text: decoder.decode(bytes), problem: false };
    } catch {
      // Bytes the charset does not have: decoded with replacement characters.
      if (l === labels[labels.length - 1]) return { text: new TextDecoder(l).decode(bytes), problem: true };
    }
  }
  return { text: new TextDecoder('utf-8').decode(bytes), problem: true };
}

export function truncate(text: string, maxBytes: number, html: boolean, isEncodingProblem: boolean): BodyValue {
  const bytes = Buffer.from(text, 'utf8');
  if (maxBytes === 0 || bytes.length <= maxBytes) return { value: text, isEncodingProblem, isTruncated: false };
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  let value = bytes.subarray(0, end).toString('utf8');
  // Not in the middle of an HTML tag.
  if (html && value.lastIndexOf('<') > value.lastIndexOf('>')) value = value.slice(0, value.lastIndexOf('<'));
  return { value, isEncodingProblem, isTruncated: true };
}

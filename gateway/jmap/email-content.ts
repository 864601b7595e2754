// The parts of an Email that come from its bytes (RFC 8621 §4.1.2-4.1.4), read with mailparser:
// addresses, dates, ids, subject, preview and the text body. The body model is still a single
// text part, partId "1" (the text/plain parts as mailparser decodes them, or the text of the
// HTML): bodyStructure and per-part blobs are to come.
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { PREVIEW_CHARS } from './limits.js';

export interface EmailAddress {
  readonly name: string | null;
  readonly email: string;
}

export interface EmailContent {
  readonly messageId: string[] | null;
  readonly inReplyTo: string[] | null;
  readonly references: string[] | null;
  readonly sender: EmailAddress[] | null;
  readonly from: EmailAddress[] | null;
  readonly to: EmailAddress[] | null;
  readonly cc: EmailAddress[] | null;
  readonly bcc: EmailAddress[] | null;
  readonly replyTo: EmailAddress[] | null;
  readonly subject: string | null;
  readonly sentAt: string | null;
  readonly hasAttachment: boolean;
  /** The decoded text body, '' when the message has none. */
  readonly text: string;
  readonly preview: string;
}

/** The id of the one text part. */
export const TEXT_PART_ID = '1';

/** The Email properties read from the message's bytes, in RFC 8621's order. */
export const CONTENT_PROPERTIES = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody',
] as const;

/** The values of CONTENT_PROPERTIES: the parsed fields, the text part and (if fetched) its value. */
export function contentProperties(content: EmailContent, body: { fetchText: boolean; maxBytes: number }): Record<string, unknown> {
  const { text, ...parsed } = content;
  const hasText = text !== '';
  return {
    ...parsed,
    textBody: hasText ? [{ partId: TEXT_PART_ID, blobId: null, size: Buffer.byteLength(text), type: 'text/plain', charset: 'utf-8' }] : [],
    bodyValues: hasText && body.fetchText ? { [TEXT_PART_ID]: bodyValue(text, body.maxBytes) } : {},
  };
}

export async function readEmailContent(raw: Uint8Array): Promise<EmailContent> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { skipTextToHtml: true, skipImageLinks: true, checksumAlgo: false });
  } catch {
    // What mailparser gives up on is still an Email: its bytes, with nothing derived.
    mail = { attachments: [], headers: new Map(), headerLines: [], html: false } as unknown as ParsedMail;
  }
  const text = mail.text ?? '';
  const sender = mail.headers.get('sender') as AddressObject | undefined;
  return {
    messageId: ids(mail.messageId),
    inReplyTo: ids(mail.inReplyTo),
    references: ids(mail.references),
    sender: addresses(sender),
    from: addresses(mail.from),
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    bcc: addresses(mail.bcc),
    replyTo: addresses(mail.replyTo),
    subject: mail.subject ?? null,
    sentAt: mail.date && !Number.isNaN(mail.date.getTime()) ? utcDate(mail.date) : null,
    hasAttachment: mail.attachments.some((a) => a.contentDisposition !== 'inline' || !a.cid),
    text,
    preview: [...text.replace(/\s+/g, ' ').trim()].slice(0, PREVIEW_CHARS).join(''),
  };
}

/** RFC 3339 in UTC, without a zero fraction (RFC 8620 §1.4). */
export function utcDate(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function ids(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const list = (Array.isArray(value) ? value : value.split(/\s+/)).map((v) => v.trim().replace(/^<|>$/g, '')).filter((v) => v !== '');
  return list.length > 0 ? list : null;
}

function addresses(value: AddressObject | AddressObject[] | undefined): EmailAddress[] | null {
  if (value === undefined) return null;
  const list = (Array.isArray(value) ? value : [value]).flatMap((o) => o.value.flatMap((a) => (a.group ? a.group : [a])));
  return list.map((a) => ({ name: a.name ? a.name : null, email: a.address ?? '' }));
}

/** A body value cut to `maxBytes` of UTF-8 without splitting a character (0: no limit). */
export function bodyValue(text: string, maxBytes: number): { value: string; isEncodingProblem: boolean; isTruncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (maxBytes === 0 || bytes.length <= maxBytes) return { value: text, isEncodingProblem: false, isTruncated: false };
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { value: bytes.subarray(0, end).toString('utf8'), isEncodingProblem: false, isTruncated: true };
}

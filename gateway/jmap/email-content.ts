// An Email's fields read from its bytes with mailparser: addresses, dates, ids, subject, the
// text, preview and hasAttachment, for Email/query's sorts and filters (email-facts.ts),
// SearchSnippet/get and EmailSubmission. Email/get and Email/parse read theirs without it
// (email-object.ts): header forms from the header bytes, the body model from the MIME parts.
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

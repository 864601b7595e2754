// The vacation auto-reply (JMAP VacationResponse, RFC 8621 §8; RFC 3834): the user's subject
// and text (or a default), as a reply to the message it answers, marked Auto-Submitted:
// auto-replied so no responder answers it. Pure: the date, ids and boundary come in.
import { checkAddress, checkAscii, encodeUnstructured, formatDate, formatMailbox, headerLine } from './headers.js';
import { ConverterError } from './errors.js';
import { formatMessageId } from './message-ids.js';
import { alternativeMessage, replyThreadHeaders, type RepliedTo } from './postage-reply.js';

export interface VacationReplyInput {
  /** The user who is away: the reply comes from them. */
  readonly from: string;
  /** The envelope sender of the original (RFC 3834 §4). */
  readonly to: string;
  readonly original: RepliedTo;
  /** The user's subject; null: "Auto: " and the original's subject (RFC 3834 §3.1.5). */
  readonly subject: string | null;
  readonly textBody: string | null;
  readonly htmlBody: string | null;
  readonly date: Date;
  /** Message-ID of the reply, without brackets. */
  readonly messageId: string;
  readonly boundary: string;
}

/** The text sent when the user gave neither a text nor an HTML body. */
export const DEFAULT_VACATION_TEXT = 'I am away and will read your message when I am back.';

export function buildVacationReply(input: VacationReplyInput): Buffer {
  const messageId = formatMessageId(checkAscii(input.messageId, 'messageId'));
  if (messageId === undefined) throw new ConverterError('invalid_header_value', `not a message id: ${JSON.stringify(input.messageId)}`);
  const original = input.original.subject.trim();
  const subject = input.subject ?? (original === '' ? 'Auto: away' : `Auto: ${original}`);
  const head =
    headerLine('From', formatMailbox({ address: input.from })) +
    headerLine('To', formatMailbox({ address: checkAddress(input.to) })) +
    headerLine('Subject', encodeUnstructured(subject)) +
    headerLine('Date', formatDate(input.date)) +
    headerLine('Message-ID', messageId) +
    replyThreadHeaders(input.original) +
    headerLine('Auto-Submitted', 'auto-replied');
  const text = input.textBody ?? (input.htmlBody === null ? DEFAULT_VACATION_TEXT : textOfHtml(input.htmlBody));
  const parts = [{ type: 'text/plain; charset=utf-8', body: crlf(text) }];
  if (input.htmlBody !== null) parts.push({ type: 'text/html; charset=utf-8', body: crlf(input.htmlBody) });
  return alternativeMessage(head, input.boundary, parts);
}

/** Every line break as CRLF, ending in one. */
function crlf(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  return `${lines.replace(/\n/g, '\r\n')}\r\n`;
}

/** A plain-text rendering of the user's HTML: block ends become line breaks, tags go, entities decode. */
function textOfHtml(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6])>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#(\d{1,7});/g, (_, n: string) => (Number(n) <= 0x10ffff ? String.fromCodePoint(Number(n)) : '')).replace(/&amp;/g, '&')
    .trim();
}

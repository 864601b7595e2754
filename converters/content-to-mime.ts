// LNMP MessageContent → RFC 5322 message, for showing LNMP mail in ordinary mail clients (IMAP
// FETCH, JMAP blobs). Mail that arrived as MIME is returned byte-exact; native LNMP content
// becomes one text part. Attachments are references (CIDs) and are listed, not embedded.
import { fromBase64, type MessageContent } from '../core/index.js';
import { checkAddress, checkAscii, encodeUnstructured, formatDate, formatMailbox, headerLine } from './headers.js';
import { ConverterError } from './errors.js';
import { formatMessageId } from './message-ids.js';

export interface ContentToMimeOptions {
  from: { name?: string; address: string };
  to: string[];
  date: Date;
  /** With or without angle brackets. */
  messageId: string;
  /** Value of an `Authentication-Results` header to prepend, e.g. `gw.example; lnmp=pass`. */
  authResults?: string;
}

const encoder = new TextEncoder();

/**
 * The body as it comes back from a MIME round trip: every line break (CRLF, CR, LF) becomes
 * LF, and a non-empty body ends with one (a MIME body is a sequence of CRLF-terminated lines).
 */
export function normaliseBodyText(body: string): string {
  const lf = body.replace(/\r\n?/g, '\n');
  return lf === '' || lf.endsWith('\n') ? lf : `${lf}\n`;
}

/** The attachment list appended to the text: LNMP attachments are fetched by CID, not carried. */
function attachmentListing(content: MessageContent, html: boolean): string {
  const list = content.attachments ?? [];
  if (list.length === 0) return '';
  const lines = list.map((a) => `- ${a.filename} (${a.mimeType}, ${a.size} bytes): ${a.ipfsHash}`);
  const text = `-- \nAttachments (LNMP references, fetch by CID):\n${lines.join('\n')}\n`;
  return html ? `\n<pre>${escapeHtml(text)}</pre>\n` : `\n${text}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 7bit when every line is short printable ASCII, else base64 (exact for any text). */
function encodeBody(text: string): { encoding: '7bit' | 'base64'; data: string } {
  const lines = text.split('\r\n');
  if (lines.every((l) => /^[ -~\t]*$/.test(l) && l.length <= 998)) return { encoding: '7bit', data: text };
  const b64 = Buffer.from(encoder.encode(text)).toString('base64');
  return { encoding: 'base64', data: `${(b64.match(/.{1,76}/g) ?? []).join('\r\n')}\r\n` };
}

function lineEndingOf(original: Uint8Array): string {
  const lf = original.indexOf(0x0a);
  return lf > 0 && original[lf - 1] === 0x0d ? '\r\n' : lf >= 0 ? '\n' : '\r\n';
}

/**
 * Bytes for a mail client: the original `mime` (plus Authentication-Results) when there is
 * one, else a single-part message. Decisions in converters/README.md.
 * @throws ConverterError `invalid_header_value` for values a header cannot carry, `invalid_date`.
 */
export function contentToMime(content: MessageContent, opts: ContentToMimeOptions): Uint8Array {
  const authResults = opts.authResults === undefined ? undefined : checkAscii(opts.authResults, 'authResults').trim();

  if (content.mime !== undefined) {
    const original = fromBase64(content.mime, 'mime');
    if (authResults === undefined) return original;
    // Match the original's line endings so a bare-LF message does not get one CRLF line.
    const header = encoder.encode(headerLine('Authentication-Results', authResults).replace(/\r\n/g, lineEndingOf(original)));
    const out = new Uint8Array(header.length + original.length);
    out.set(header);
    out.set(original, header.length);
    return out;
  }

  const messageId = formatMessageId(checkAscii(opts.messageId, 'messageId').trim());
  if (messageId === undefined) throw new ConverterError('invalid_header_value', `not a message id: ${JSON.stringify(opts.messageId)}`);
  const replyTo = content.replyTo === undefined ? undefined : formatMessageId(content.replyTo);
  const thread = content.threadId === undefined ? undefined : formatMessageId(content.threadId);
  const references = [...new Set([thread, replyTo].filter((id): id is string => id !== undefined))];

  const isHtml = content.formatting === 'html';
  const text = normaliseBodyText(content.body + attachmentListing(content, isHtml)).replace(/\n/g, '\r\n');
  const body = encodeBody(text);

  let head = '';
  if (authResults !== undefined) head += headerLine('Authentication-Results', authResults);
  head += headerLine('From', formatMailbox(opts.from));
  if (opts.to.length > 0) head += headerLine('To', opts.to.map(checkAddress).join(', '));
  // An empty subject is written as none: mail parsers return both as absent.
  if (content.subject) head += headerLine('Subject', encodeUnstructured(content.subject));
  head += headerLine('Date', formatDate(opts.date));
  head += headerLine('Message-ID', messageId);
  if (replyTo !== undefined) head += headerLine('In-Reply-To', replyTo);
  if (references.length > 0) head += headerLine('References', references.join(' '));
  head += headerLine('MIME-Version', '1.0');
  head += headerLine('Content-Type', `${isHtml ? 'text/html' : 'text/plain'}; charset=utf-8`);
  head += headerLine('Content-Transfer-Encoding', body.encoding);
  return encoder.encode(`${head}\r\n${body.data}`);
}

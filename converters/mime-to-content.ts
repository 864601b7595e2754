// RFC 5322 message → LNMP MessageContent, for mail that arrived over SMTP. The original bytes
// travel byte-exact in `mime`; the other fields are what an LNMP client shows and threads by.
// Malformed mail never throws: whatever mailparser recovers is used.
import libmime from 'libmime';
import { simpleParser, type ParsedMail } from 'mailparser';
import { MessageContentSchema, Limits, toBase64, type MessageContent } from '../core/index.js';
import { contentDerivedAttachmentKey, toFileAttachment, type AttachmentKeyFn } from './attachments.js';
import { ConverterError } from './errors.js';
import { headerFields } from './header-fields.js';
import { MimeLimits } from './limits.js';
import { threadIdsOf } from './message-ids.js';
import { truncateChars, truncateUtf8 } from './truncate.js';

export interface MimeToContentOptions {
  /** `encryptionKey` of each attachment; defaults to {@link contentDerivedAttachmentKey}. */
  attachmentKey?: AttachmentKeyFn;
}

/**
 * Converts a raw message. Decisions (docs in converters/README.md):
 * - `body` is always plain text (`formatting: 'plain'`): the text/plain part, or mailparser's
 *   text rendering of the HTML when there is none. The HTML itself is only in `mime`.
 * - `type` is `'file'` when the body is blank and there are attachments, else `'text'`.
 * - Over-long subject, body, ids, filenames are cut to the limits; attachments past the
 *   schema's 100 are left out of `attachments` (they are still in `mime`).
 * @throws ConverterError `oversize` when `raw` is larger than MimeLimits.MAX_MIME_BYTES.
 */
export async function mimeToContent(raw: Uint8Array, opts: MimeToContentOptions = {}): Promise<MessageContent> {
  if (raw.length > MimeLimits.MAX_MIME_BYTES) {
    throw new ConverterError('oversize', `message is ${raw.length} bytes, the limit is ${MimeLimits.MAX_MIME_BYTES}`);
  }
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let mail: ParsedMail;
  try {
    mail = await simpleParser(buf, {
      skipTextToHtml: true,
      skipImageLinks: true,
      keepCidLinks: true,
      checksumAlgo: false,
      maxHtmlLengthToParse: MimeLimits.MAX_HTML_TO_TEXT_CHARS,
    });
  } catch {
    // The parser gives up on some shapes (over 1 MiB of headers in one part, thousands of
    // parts): the message is still kept whole in `mime`, with only its Subject derived.
    return MessageContentSchema.parse({ type: 'text', ...subjectOnly(buf), body: '', formatting: 'plain', mime: toBase64(raw) });
  }

  const keyFn = opts.attachmentKey ?? contentDerivedAttachmentKey;
  const attachments = mail.attachments
    .slice(0, Limits.MAX_ATTACHMENTS)
    .map((a, i) => toFileAttachment({ content: a.content, filename: a.filename, contentType: a.contentType }, i, keyFn));

  const body = truncateUtf8(mail.text ?? '', MimeLimits.MAX_BODY_BYTES);
  const content: MessageContent = {
    type: body.trim() === '' && attachments.length > 0 ? 'file' : 'text',
    ...(mail.subject !== undefined ? { subject: truncateChars(mail.subject, Limits.MAX_SUBJECT_CHARS) } : {}),
    body,
    ...threadIdsOf(mail),
    ...(attachments.length > 0 ? { attachments } : {}),
    formatting: 'plain',
    mime: toBase64(raw),
  };
  // The fields above are built to fit; parsing proves it, so no invalid content leaves here.
  return MessageContentSchema.parse(content);
}

/** The decoded Subject from the top header section, read without a MIME parser. */
function subjectOnly(buf: Buffer): { subject?: string } {
  const field = headerFields(buf.subarray(0, MimeLimits.MAX_FALLBACK_HEADER_BYTES)).find((f) => f.name === 'subject');
  if (!field) return {};
  const value = Buffer.from(field.value, 'latin1').toString('utf8');
  let decoded: string;
  try {
    decoded = libmime.decodeWords(value);
  } catch {
    decoded = value;
  }
  return { subject: truncateChars(decoded, Limits.MAX_SUBJECT_CHARS) };
}

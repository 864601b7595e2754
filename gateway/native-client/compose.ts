// What the native client writes and shows: a small RFC 5322 text message carried as LNMP content
// (the MIME bytes kept in `mime`, so a gateway shows it to mail clients byte-exact), and who a
// received message is from: the MIME From only when its LNMP address belongs to the key that
// signed the envelope, else that key.
import addressparser from 'nodemailer/lib/addressparser';
import { checksumMatches, formatAddress, fromBase64, isLnmpAddress, parseAddress, toHex, type MessageContent, type Rng, type VerifiedMessage } from '../../core/index.js';
import { contentToMime, headerFields, mimeToContent } from '../../converters/index.js';

export interface TextDraft {
  readonly from: { readonly name: string; readonly address: string };
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly date: Date;
}

/** A Message-ID `<16 random bytes hex>@host` of the sender's address. */
export function newMessageId(address: string, rng: Rng): string {
  const at = address.lastIndexOf('@');
  return `<${toHex(rng(16))}@${at === -1 ? 'lnmp.invalid' : address.slice(at + 1)}>`;
}

/**
 * The draft as one text/plain UTF-8 part (Subject as RFC 2047 encoded-words when not plain
 * ASCII), converted to content as mail from SMTP is, so both paths carry the same shape.
 */
export async function composeContent(draft: TextDraft, messageId: string): Promise<MessageContent> {
  const mime = contentToMime(
    { type: 'text', subject: draft.subject, body: draft.body, formatting: 'plain' },
    { from: draft.from, to: [draft.to], date: draft.date, messageId },
  );
  return mimeToContent(mime);
}

/** The first address of the MIME From field, if the content carries MIME and it has one. */
function mimeFrom(content: MessageContent): string | undefined {
  if (content.mime === undefined) return undefined;
  const field = headerFields(fromBase64(content.mime, 'mime')).find((f) => f.name === 'from');
  if (!field) return undefined;
  return addressparser(field.value, { flatten: true })[0]?.address || undefined;
}

/** The sender as shown: the MIME From address when it is an LNMP address of the signing key, else the key (hex). */
export function displaySender(message: VerifiedMessage, content: MessageContent): string {
  const address = mimeFrom(content);
  if (address === undefined || !isLnmpAddress(address)) return message.from;
  const parsed = parseAddress(address);
  return checksumMatches(parsed, message.from) ? formatAddress(parsed) : message.from;
}

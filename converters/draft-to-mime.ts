// A message a client composes (JMAP Email/set create, RFC 8621 §4.6) → RFC 5322 bytes, built
// with nodemailer's MimeNode: the header fields from structured values (encoded-words where
// needed) or raw values as given, and a tree of body parts whose leaves carry text or bytes.
// Pure: the date, Message-ID and boundary come in; Bcc is kept (a draft shows it; submission
// removes it from what is sent).
import MimeNode from 'nodemailer/lib/mime-node';
import { checkAddress, checkAscii } from './headers.js';
import { formatMessageId } from './message-ids.js';

export interface DraftAddress {
  readonly name?: string | null | undefined;
  readonly email: string;
}

export interface DraftPart {
  /** The media type, e.g. text/plain or multipart/alternative. */
  readonly type: string;
  readonly charset?: string | null;
  readonly disposition?: string | null;
  readonly cid?: string | null;
  readonly name?: string | null;
  readonly language?: readonly string[] | null;
  readonly location?: string | null;
  /** Further fields of the part, values raw. */
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** A leaf's content: text (encoded as the part's charset, UTF-8) or bytes. */
  readonly content?: string | Uint8Array;
  /** A multipart's children. */
  readonly subParts?: readonly DraftPart[];
}

export interface EmailDraft {
  readonly from: readonly DraftAddress[] | null;
  readonly sender: readonly DraftAddress[] | null;
  readonly to: readonly DraftAddress[] | null;
  readonly cc: readonly DraftAddress[] | null;
  readonly bcc: readonly DraftAddress[] | null;
  readonly replyTo: readonly DraftAddress[] | null;
  readonly subject: string | null;
  readonly sentAt: Date;
  /** Without angle brackets. */
  readonly messageId: string;
  readonly inReplyTo: readonly string[] | null;
  readonly references: readonly string[] | null;
  /** Other fields of the message, values raw (already in RFC 5322 form). */
  readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly body: DraftPart;
}

const ADDRESS_FIELDS = [['From', 'from'], ['Sender', 'sender'], ['Reply-To', 'replyTo'], ['To', 'to'], ['Cc', 'cc'], ['Bcc', 'bcc']] as const;

/** The message as CRLF bytes. @throws ConverterError for an address, id or raw value a header cannot carry. */
export async function draftToMime(draft: EmailDraft, opts: { boundary: string }): Promise<Uint8Array> {
  const root = new MimeNode(draft.body.type, { baseBoundary: opts.boundary, keepBcc: true, newline: 'win', textEncoding: 'B', disableFileAccess: true, disableUrlAccess: true });
  for (const [field, key] of ADDRESS_FIELDS) {
    const list = draft[key];
    if (list && list.length > 0) root.setHeader(field, list.map((a) => ({ name: a.name ?? '', address: checkAddress(a.email) })));
  }
  if (draft.subject !== null) root.setHeader('Subject', draft.subject);
  root.setHeader('Date', draft.sentAt);
  root.setHeader('Message-ID', prepared(ids([draft.messageId])));
  if (draft.inReplyTo) root.setHeader('In-Reply-To', prepared(ids(draft.inReplyTo)));
  if (draft.references) root.setHeader('References', prepared(ids(draft.references)));
  for (const h of draft.headers) root.addHeader(h.name, prepared(checkAscii(h.value, h.name)) as unknown as string);
  fill(root, draft.body);
  return new Uint8Array(await root.build());
}

function prepared(value: string) {
  return { prepared: true, foldLines: true, value } as unknown as string;
}

function ids(list: readonly string[]): string {
  return list.map((id) => formatMessageId(checkAscii(id, 'message id')) ?? checkAscii(`<${id}>`, 'message id')).join(' ');
}

function fill(node: MimeNode, part: DraftPart): void {
  const type = part.type.toLowerCase();
  if (part.charset && type.startsWith('text/')) node.setHeader('Content-Type', `${type}; charset=${part.charset}`);
  if (part.disposition) node.setHeader('Content-Disposition', part.name ? `${part.disposition}; filename="${part.name.replace(/["\\]/g, '')}"` : part.disposition);
  else if (part.name) node.filename = part.name;
  if (part.cid) node.setHeader('Content-ID', `<${checkAscii(part.cid, 'cid').replace(/^<|>$/g, '')}>`);
  if (part.language && part.language.length > 0) node.setHeader('Content-Language', part.language.join(', '));
  if (part.location) node.setHeader('Content-Location', part.location);
  for (const h of part.headers ?? []) node.addHeader(h.name, prepared(checkAscii(h.value, h.name)) as unknown as string);
  if (part.subParts) {
    for (const sub of part.subParts) fill(node.createChild(sub.type), sub);
    return;
  }
  const content = part.content ?? '';
  node.setContent(typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength));
}

// Email/get (RFC 8621 §4.2). An Email is a blob (ids.ts): its metadata comes from every message
// row holding it (mailboxIds from all of them, keywords from the latest changed, see emails.ts);
// the properties read from the message's bytes are parsed only when asked for.
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { bodyValue, readEmailContent, TEXT_PART_ID, utcDate, type EmailContent } from '../email-content.js';
import { groupEmails, emailsOf, type EmailView } from '../emails.js';
import { blobIdOf, emailIdOf, mailboxIdOf, parseEmailId, threadIdOf } from '../ids.js';
import { keywordsOf } from '../keywords.js';
import { defineMethod } from '../method.js';
import { currentModseq, type MethodContext } from '../context.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, propertiesOf, UnsignedInt } from './args.js';

const META = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'] as const;
const PARSED = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody',
] as const;
/** RFC 8621's default list, less the properties not served yet (htmlBody, attachments). */
const DEFAULTS = [...META, ...PARSED];
const KNOWN = new Set<string>(DEFAULTS);
const NEEDS_BYTES = new Set<string>(PARSED);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
  bodyProperties: z.array(z.string()).nullish(),
  fetchTextBodyValues: z.boolean().optional(),
  fetchHTMLBodyValues: z.boolean().optional(),
  fetchAllBodyValues: z.boolean().optional(),
  maxBodyValueBytes: UnsignedInt.optional(),
});

export const emailGet = defineMethod('Email/get', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, DEFAULTS);
  const state = stateOf(await currentModseq(ctx));
  const emails = args.ids ? await emailsOf(ctx, args.ids.flatMap((id) => parseEmailId(id) ?? [])) : await allEmails(ctx);
  const wanted = args.ids ? [...new Set(args.ids)] : [...emails.keys()].map(emailIdOf);
  const withBytes = [...properties].some((p) => NEEDS_BYTES.has(p));
  const fetchText = args.fetchTextBodyValues === true || args.fetchAllBodyValues === true;
  const list: Array<Record<string, unknown>> = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const blobId = parseEmailId(id);
    const email = blobId === undefined ? undefined : emails.get(blobId);
    if (!email) {
      notFound.push(id);
      continue;
    }
    const content = withBytes ? await contentOf(ctx, email) : undefined;
    if (withBytes && !content) {
      notFound.push(id); // removed since the rows were read
      continue;
    }
    list.push(emailObject(email, content, properties, { fetchText, maxBytes: args.maxBodyValueBytes ?? 0 }));
  }
  return { accountId: ctx.accountId, state, list, notFound };
});

async function contentOf(ctx: MethodContext, email: EmailView): Promise<EmailContent | undefined> {
  const raw = await ctx.messages.readBlob(ctx.account, email.blobId);
  return raw ? readEmailContent(raw) : undefined;
}

function emailObject(email: EmailView, content: EmailContent | undefined, properties: ReadonlySet<string>, body: { fetchText: boolean; maxBytes: number }): Record<string, unknown> {
  const meta = email.latest;
  const all: Record<string, unknown> = {
    id: emailIdOf(email.blobId),
    blobId: blobIdOf(email.blobId),
    threadId: threadIdOf(meta.threadId),
    mailboxIds: Object.fromEntries(email.mailboxIds.map((m) => [mailboxIdOf(m), true])),
    keywords: keywordsOf(meta.flags),
    size: meta.size,
    receivedAt: utcDate(meta.internalDate),
  };
  if (content) {
    const { text, ...parsed } = content;
    Object.assign(all, parsed);
    const hasText = text !== '';
    all['textBody'] = hasText ? [{ partId: TEXT_PART_ID, blobId: null, size: Buffer.byteLength(text), type: 'text/plain', charset: 'utf-8' }] : [];
    all['bodyValues'] = hasText && body.fetchText ? { [TEXT_PART_ID]: bodyValue(text, body.maxBytes) } : {};
  }
  return Object.fromEntries([...META, ...PARSED].filter((p) => properties.has(p)).map((p) => [p, all[p]]));
}

async function allEmails(ctx: MethodContext): Promise<Map<number, EmailView>> {
  const emails = groupEmails(await ctx.messages.emailRows(ctx.account));
  checkGetSize([...emails.keys()]);
  return emails;
}

// Email/get (RFC 8621 §4.2). Metadata (mailbox, keywords, size, dates, thread) comes from the
// message rows; the properties read from the message's bytes are parsed only when asked for.
import { z } from 'zod';
import type { MessageMeta } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import { bodyValue, readEmailContent, TEXT_PART_ID, utcDate, type EmailContent } from '../email-content.js';
import { blobIdOf, emailIdOf, mailboxIdOf, parseEmailId, threadIdOf, type EmailRef } from '../ids.js';
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
  const wanted = [...new Set(args.ids ?? (await allEmailIds(ctx)))];
  const refs = new Map<string, EmailRef>();
  for (const id of wanted) {
    const ref = parseEmailId(id);
    if (ref) refs.set(id, ref);
  }
  const withBytes = [...properties].some((p) => NEEDS_BYTES.has(p));
  const found = new Map<string, { meta: MessageMeta; content?: EmailContent }>();
  for (const [mailboxId, uids] of groupByMailbox(refs.values())) {
    if (withBytes) {
      for (const m of await ctx.messages.fetch(ctx.account, mailboxId, uids)) found.set(emailIdOf(m.mailboxId, m.uid), { meta: m, content: await readEmailContent(m.raw) });
    } else {
      for (const m of await ctx.messages.listByUid(ctx.account, mailboxId, uids)) found.set(emailIdOf(m.mailboxId, m.uid), { meta: m });
    }
  }
  const fetchText = args.fetchTextBodyValues === true || args.fetchAllBodyValues === true;
  const list = wanted.flatMap((id) => {
    const hit = found.get(id);
    return hit ? [emailObject(hit.meta, hit.content, properties, { fetchText, maxBytes: args.maxBodyValueBytes ?? 0 })] : [];
  });
  return { accountId: ctx.accountId, state, list, notFound: wanted.filter((id) => !found.has(id)) };
});

function emailObject(meta: MessageMeta, content: EmailContent | undefined, properties: ReadonlySet<string>, body: { fetchText: boolean; maxBytes: number }): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: emailIdOf(meta.mailboxId, meta.uid),
    blobId: blobIdOf(meta.mailboxId, meta.uid),
    threadId: threadIdOf(meta.threadId),
    mailboxIds: { [mailboxIdOf(meta.mailboxId)]: true },
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

function groupByMailbox(refs: Iterable<EmailRef>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const r of refs) {
    const uids = groups.get(r.mailboxId) ?? [];
    uids.push(r.uid);
    groups.set(r.mailboxId, uids);
  }
  return groups;
}

async function allEmailIds(ctx: MethodContext): Promise<string[]> {
  const ids: string[] = [];
  for (const mb of await ctx.mailboxes.list(ctx.account)) {
    for (const m of await ctx.messages.list(ctx.account, mb.id)) ids.push(emailIdOf(m.mailboxId, m.uid));
  }
  checkGetSize(ids);
  return ids;
}

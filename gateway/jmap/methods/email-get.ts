// Email/get (RFC 8621 §4.2). An Email is a blob (ids.ts): its metadata comes from every message
// row holding it (mailboxIds from all of them, keywords from the latest changed, see emails.ts);
// the properties read from the message's bytes are parsed only when asked for.
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { CONTENT_PROPERTIES, contentProperties, readEmailContent, utcDate, type EmailContent } from '../email-content.js';
import { groupEmails, emailsOf, type EmailView } from '../emails.js';
import { blobIdOf, emailIdOf, mailboxIdOf, parseEmailId, threadIdOf } from '../ids.js';
import { keywordsOf } from '../keywords.js';
import { defineMethod } from '../method.js';
import { emailPostageOf, usesPostage } from '../postage-objects.js';
import { currentModseq, type MethodContext } from '../context.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, EmailReadArgs, Id, propertiesOf } from './args.js';

const META = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'] as const;
const PARSED = CONTENT_PROPERTIES;
/** RFC 8621's default list, less the properties not served yet (htmlBody, attachments). */
const DEFAULTS = [...META, ...PARSED];
const KNOWN = new Set<string>(DEFAULTS);
const NEEDS_BYTES = new Set<string>(PARSED);
/** With urn:lnmp:params:jmap:postage in `using`: the message's postage case (postage-objects.ts), never by default. */
const KNOWN_WITH_POSTAGE = new Set<string>([...KNOWN, 'postage']);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  ...EmailReadArgs,
});

export const emailGet = defineMethod('Email/get', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, usesPostage(ctx) ? KNOWN_WITH_POSTAGE : KNOWN, DEFAULTS);
  const state = stateOf(await currentModseq(ctx));
  const emails = args.ids ? await emailsOf(ctx, args.ids.flatMap((id) => parseEmailId(id) ?? [])) : await allEmails(ctx);
  const wanted = args.ids ? [...new Set(args.ids)] : [...emails.keys()].map(emailIdOf);
  const withBytes = [...properties].some((p) => NEEDS_BYTES.has(p));
  const fetchText = args.fetchTextBodyValues === true || args.fetchAllBodyValues === true;
  // Read and parsed all at once: one at a time, each would wait for its own database round trip.
  const contents = withBytes ? new Map(await Promise.all([...emails.values()].map(async (e) => [e.blobId, await contentOf(ctx, e)] as const))) : undefined;
  const postage = properties.has('postage') ? await emailPostageOf(ctx, [...emails.keys()]) : undefined;
  const list: Array<Record<string, unknown>> = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const blobId = parseEmailId(id);
    const email = blobId === undefined ? undefined : emails.get(blobId);
    if (!email) {
      notFound.push(id);
      continue;
    }
    const content = contents?.get(email.blobId);
    if (withBytes && !content) {
      notFound.push(id); // removed since the rows were read
      continue;
    }
    const object = emailObject(email, content, properties, { fetchText, maxBytes: args.maxBodyValueBytes ?? 0 });
    list.push(postage ? { ...object, postage: postage.get(email.blobId) ?? null } : object);
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
  if (content) Object.assign(all, contentProperties(content, body));
  return Object.fromEntries([...META, ...PARSED].filter((p) => properties.has(p)).map((p) => [p, all[p]]));
}

async function allEmails(ctx: MethodContext): Promise<Map<number, EmailView>> {
  const emails = groupEmails(await ctx.messages.emailRows(ctx.account));
  checkGetSize([...emails.keys()]);
  return emails;
}

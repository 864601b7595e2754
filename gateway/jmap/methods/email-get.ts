// Email/get (RFC 8621 §4.2). An Email is a blob (ids.ts): its metadata comes from every message
// row holding it (mailboxIds from all of them, keywords from the latest changed, see emails.ts);
// the properties read from the message are read only when asked for, from the stored summary
// (header, preview, hasAttachment) when it has them all, else from the whole message.
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { utcDate } from '../email-content.js';
import {
  CONTENT_DEFAULTS, CONTENT_PROPERTIES, messageProperties, META_PROPERTIES, readRequestOf, readsMessage, summaryAnswers, summaryProperties, type EmailReadRequest,
} from '../email-object.js';
import { groupEmails, emailsOf, type EmailView } from '../emails.js';
import { blobIdOf, emailIdOf, mailboxIdOf, parseEmailId, threadIdOf } from '../ids.js';
import { keywordsOf } from '../keywords.js';
import { defineMethod } from '../method.js';
import { emailPostageOf, usesPostage } from '../postage-objects.js';
import { currentModseq, type MethodContext } from '../context.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, EmailReadArgs, Id } from './args.js';

/** RFC 8621 §4.2's default list; headers, bodyStructure and header:* only when asked for. */
const DEFAULTS = [...META_PROPERTIES, ...CONTENT_DEFAULTS];
const KNOWN = new Set<string>([...META_PROPERTIES, ...CONTENT_PROPERTIES]);
/** With urn:lnmp:params:jmap:postage in `using`: the message's postage case (postage-objects.ts), never by default. */
const KNOWN_WITH_POSTAGE = new Set<string>([...KNOWN, 'postage']);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  ...EmailReadArgs,
});

export const emailGet = defineMethod('Email/get', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const request = readRequestOf(args, usesPostage(ctx) ? KNOWN_WITH_POSTAGE : KNOWN, DEFAULTS, ['id']);
  const state = stateOf(await currentModseq(ctx));
  const emails = args.ids ? await emailsOf(ctx, args.ids.flatMap((id) => parseEmailId(id) ?? [])) : await allEmails(ctx);
  const wanted = args.ids ? [...new Set(args.ids)] : [...emails.keys()].map(emailIdOf);
  const contents = readsMessage(request) ? await contentsOf(ctx, [...emails.keys()], request) : undefined;
  const postage = request.properties.includes('postage') ? await emailPostageOf(ctx, [...emails.keys()]) : undefined;
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
    if (contents && !content) {
      notFound.push(id); // removed since the rows were read
      continue;
    }
    const all: Record<string, unknown> = { ...metaProperties(email), ...content, ...(postage ? { postage: postage.get(email.blobId) ?? null } : {}) };
    list.push(Object.fromEntries(request.properties.map((p) => [p, all[p]])));
  }
  return { accountId: ctx.accountId, state, list, notFound };
});

/**
 * The message properties of each Email: from a header-only summary when it answers every asked
 * property, else from the whole message. Read all at once: one at a time, each would wait for
 * its own database round trip.
 */
async function contentsOf(ctx: MethodContext, blobIds: readonly number[], request: EmailReadRequest): Promise<Map<number, Record<string, unknown>>> {
  if (summaryAnswers(request)) {
    // The stored summary (MessageService.readSummaries): header, preview and hasAttachment, without opening the message.
    const summaries = await ctx.messages.readSummaries(ctx.account, blobIds);
    return new Map([...summaries].map(([blobId, summary]) => [blobId, summaryProperties(summary, request)]));
  }
  const read = await Promise.all(blobIds.map(async (blobId) => {
    const raw = await ctx.messages.readBlob(ctx.account, blobId);
    return raw ? [[blobId, messageProperties(raw, blobIdOf(blobId), request)] as const] : [];
  }));
  return new Map(read.flat());
}

function metaProperties(email: EmailView): Record<string, unknown> {
  const meta = email.latest;
  return {
    id: emailIdOf(email.blobId),
    blobId: blobIdOf(email.blobId),
    threadId: threadIdOf(meta.threadId),
    mailboxIds: Object.fromEntries(email.mailboxIds.map((m) => [mailboxIdOf(m), true])),
    keywords: keywordsOf(meta.flags),
    size: meta.size,
    receivedAt: utcDate(meta.internalDate),
  };
}

async function allEmails(ctx: MethodContext): Promise<Map<number, EmailView>> {
  const emails = groupEmails(await ctx.messages.emailRows(ctx.account));
  checkGetSize([...emails.keys()]);
  return emails;
}

// Email/parse (RFC 8621 §4.9): the Email properties of blobs holding messages (an upload, or
// an Email's own message), read from their bytes and stored nowhere. The properties that only
// a stored Email has (id, threadId, mailboxIds, keywords, receivedAt) are null; blobId and size
// are the blob's. A blob that is not an Internet message is notParsable; one the account may
// not read (another account's included) is notFound.
import { z } from 'zod';
import { isInternetMessage } from '../../../converters/message-check.js';
import { MAIL } from '../capabilities.js';
import { CONTENT_PROPERTIES, contentProperties, readEmailContent } from '../email-content.js';
import { MethodError } from '../errors.js';
import { blobIdOf, parseBlobId } from '../ids.js';
import { defineMethod } from '../method.js';
import { AccountId, checkGetSize, EmailReadArgs, Id } from './args.js';

/** What a parsed Email has of the metadata properties: null but for its blob and size. */
const META = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'] as const;
const KNOWN = new Set<string>([...META, ...CONTENT_PROPERTIES]);

const Args = z.strictObject({
  accountId: AccountId,
  blobIds: z.array(Id),
  ...EmailReadArgs,
});

export const emailParse = defineMethod('Email/parse', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.blobIds);
  const properties = args.properties ?? CONTENT_PROPERTIES;
  const unknown = properties.find((p) => !KNOWN.has(p));
  if (unknown !== undefined) throw new MethodError('invalidArguments', `unknown or unsupported property ${unknown}`);
  const body = { fetchText: args.fetchTextBodyValues === true || args.fetchAllBodyValues === true, maxBytes: args.maxBodyValueBytes ?? 0 };
  const parsed: Record<string, Record<string, unknown>> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const id of new Set(args.blobIds)) {
    const blobId = parseBlobId(id);
    const raw = blobId === undefined ? undefined : await ctx.blobs.read(ctx.account, blobId);
    if (!raw) notFound.push(id);
    else if (!isInternetMessage(raw)) notParsable.push(id);
    else {
      const all: Record<string, unknown> = { id: null, blobId: blobIdOf(blobId!), threadId: null, mailboxIds: null, keywords: null, size: raw.length, receivedAt: null, ...contentProperties(await readEmailContent(raw), body) };
      parsed[id] = Object.fromEntries(properties.map((p) => [p, all[p]]));
    }
  }
  return {
    accountId: ctx.accountId,
    parsed: Object.keys(parsed).length > 0 ? parsed : null,
    notParsable: notParsable.length > 0 ? notParsable : null,
    notFound: notFound.length > 0 ? notFound : null,
  };
});

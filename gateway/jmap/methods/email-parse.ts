// Email/parse (RFC 8621 §4.9): the Email properties of blobs holding messages (an upload, an
// Email's own message, or a message/rfc822 part of one by its part blob id), read from their
// bytes and stored nowhere. The properties that only
// a stored Email has (id, threadId, mailboxIds, keywords, receivedAt) are null; blobId and size
// are the blob's. A blob that is not an Internet message is notParsable; one the account may
// not read (another account's included) is notFound.
import { z } from 'zod';
import { isInternetMessage } from '../../../converters/message-check.js';
import { MAIL } from '../capabilities.js';
import { CONTENT_DEFAULTS, CONTENT_PROPERTIES, messageProperties, META_PROPERTIES, readRequestOf } from '../email-object.js';
import { defineMethod } from '../method.js';
import { readBlobById } from '../part-blobs.js';
import { AccountId, checkGetSize, EmailReadArgs, Id } from './args.js';

const KNOWN = new Set<string>([...META_PROPERTIES, ...CONTENT_PROPERTIES]);

const Args = z.strictObject({
  accountId: AccountId,
  blobIds: z.array(Id),
  ...EmailReadArgs,
});

export const emailParse = defineMethod('Email/parse', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.blobIds);
  const request = readRequestOf(args, KNOWN, CONTENT_DEFAULTS);
  const parsed: Record<string, Record<string, unknown>> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const id of new Set(args.blobIds)) {
    const raw = await readBlobById(ctx.blobs, ctx.account, id);
    if (!raw) notFound.push(id);
    else if (!isInternetMessage(raw)) notParsable.push(id);
    else {
      const all: Record<string, unknown> = {
        id: null, blobId: id, threadId: null, mailboxIds: null, keywords: null, size: raw.length, receivedAt: null, ...messageProperties(raw, id, request),
      };
      parsed[id] = Object.fromEntries(request.properties.map((p) => [p, all[p]]));
    }
  }
  return {
    accountId: ctx.accountId,
    parsed: Object.keys(parsed).length > 0 ? parsed : null,
    notParsable: notParsable.length > 0 ? notParsable : null,
    notFound: notFound.length > 0 ? notFound : null,
  };
});

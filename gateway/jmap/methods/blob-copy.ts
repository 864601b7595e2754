// Blob/copy (RFC 8620 §6.3). A login opens exactly one account, its own, so the only copy there
// is stays within it: each blob the account may read (an upload or an Email's message) is
// "copied" to itself, since a blob id names content and the account already holds it; so is a
// body part of a message blob (part-blobs.ts) that exists. Any other fromAccountId is
// fromAccountNotFound and any other accountId accountNotFound, whether or not such an account
// exists, so the answer says nothing about other users.
import { z } from 'zod';
import { CORE } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { parseBlobId, parsePartBlobId } from '../ids.js';
import { MAX_OBJECTS_IN_SET } from '../limits.js';
import { defineMethod } from '../method.js';
import { readBlobById } from '../part-blobs.js';
import { AccountId, Id } from './args.js';

const Args = z.strictObject({ fromAccountId: AccountId, accountId: AccountId, blobIds: z.array(Id) });

export const blobCopy = defineMethod('Blob/copy', CORE, Args, async (args, ctx) => {
  if (args.fromAccountId !== ctx.accountId) throw new MethodError('fromAccountNotFound');
  // Core methods skip the account check of api.ts: this one names accounts and does it here.
  if (args.accountId !== ctx.accountId) throw new MethodError('accountNotFound');
  if (args.blobIds.length > MAX_OBJECTS_IN_SET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_SET} blobs per copy`);
  const held = await ctx.blobs.sizes(ctx.account, args.blobIds.flatMap((id) => parseBlobId(id) ?? []));
  const copied: Record<string, string> = {};
  const notCopied: Record<string, { type: 'notFound' }> = {};
  for (const id of args.blobIds) {
    const blobId = parseBlobId(id);
    if (blobId !== undefined && held.has(blobId)) copied[id] = id;
    else if (parsePartBlobId(id) && (await readBlobById(ctx.blobs, ctx.account, id))) copied[id] = id;
    else notCopied[id] = { type: 'notFound' };
  }
  return { fromAccountId: args.fromAccountId, accountId: args.accountId, copied: orNull(copied), notCopied: orNull(notCopied) };
});

function orNull<T>(map: Record<string, T>): Record<string, T> | null {
  return Object.keys(map).length > 0 ? map : null;
}

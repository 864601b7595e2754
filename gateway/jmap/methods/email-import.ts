// Email/import (RFC 8621 §4.8): an uploaded blob becomes an Email in the given mailboxes, with
// keywords and receivedAt (default: the newest Received field's date, else now). The stored
// message is the blob itself, byte for byte (IMAP fetches exactly what was uploaded), and the
// Email's id follows from it (`E<blob>`, ids.ts). A blob that is already an Email's is
// alreadyExists with that Email's id; one that is not a message is invalidEmail; an unknown
// blob, mailbox or keyword is invalidProperties naming the property. A body part's blob id
// (`B12_2`, a message/rfc822 attachment) is imported as a new blob holding the part's content:
// each import of it makes another Email.
import { z } from 'zod';
import type { ImportedMessage } from '../../../services/blob-service.js';
import { isServiceError } from '../../../services/errors.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, resolveCreationId, type MethodContext } from '../context.js';
import { MethodError, setErrorOf, type SetError } from '../errors.js';
import { isInternetMessage } from '../../../converters/message-check.js';
import { blobIdOf, emailIdOf, parseBlobId, parseMailboxId, parsePartBlobId, threadIdOf } from '../ids.js';
import { flagOf, isValidKeyword } from '../keywords.js';
import { MAX_OBJECTS_IN_SET } from '../limits.js';
import { defineMethod } from '../method.js';
import { readBlobById } from '../part-blobs.js';
import { stateOf } from '../state.js';
import { AccountId } from './args.js';

const Args = z.strictObject({
  accountId: AccountId,
  ifInState: z.string().nullish(),
  emails: z.record(z.string(), z.unknown()),
});

const EmailImport = z.strictObject({
  blobId: z.string(),
  mailboxIds: z.record(z.string(), z.literal(true)),
  keywords: z.record(z.string(), z.literal(true)).optional(),
  receivedAt: z.iso.datetime().nullish(),
});

class Refused extends Error {
  constructor(readonly setError: SetError) {
    super(setError.type);
  }
}

export const emailImport = defineMethod('Email/import', MAIL, Args, async (args, ctx) => {
  const entries = Object.entries(args.emails);
  if (entries.length > MAX_OBJECTS_IN_SET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_SET} Emails per import`);
  const oldState = stateOf(await currentModseq(ctx));
  if (args.ifInState !== undefined && args.ifInState !== null && args.ifInState !== oldState) throw new MethodError('stateMismatch');
  const created: Record<string, Record<string, unknown>> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [creationId, value] of entries) {
    try {
      const email = await importOne(ctx, value);
      const id = emailIdOf(email.blobId);
      created[creationId] = { id, blobId: blobIdOf(email.blobId), threadId: threadIdOf(email.threadId), size: email.size };
      ctx.createdIds.set(creationId, id);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      notCreated[creationId] = err.setError;
    }
  }
  return {
    accountId: ctx.accountId,
    oldState,
    newState: stateOf(await currentModseq(ctx)),
    created: Object.keys(created).length > 0 ? created : null,
    notCreated: Object.keys(notCreated).length > 0 ? notCreated : null,
  };
});

async function importOne(ctx: MethodContext, value: unknown): Promise<ImportedMessage> {
  const parsed = EmailImport.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const properties = issue.code === 'unrecognized_keys' ? issue.keys : issue.path.slice(0, 1).map(String);
    throw new Refused({ type: 'invalidProperties', description: issue.message, properties });
  }
  const item = parsed.data;
  if (parseBlobId(item.blobId) === undefined && parsePartBlobId(item.blobId) === undefined) throw invalid('blobId', 'no such blob');
  const mailboxIds = Object.keys(item.mailboxIds).map((id) => parseMailboxId(resolveCreationId(ctx, id)));
  if (mailboxIds.length === 0 || mailboxIds.some((id) => id === undefined)) throw invalid('mailboxIds', 'an Email is in at least one existing mailbox');
  const keywords = Object.keys(item.keywords ?? {});
  if (!keywords.every(isValidKeyword)) throw invalid('keywords', 'not a valid keyword');
  const blobId = parseBlobId(item.blobId) ?? (await storedPart(ctx, item.blobId));
  try {
    return await ctx.blobs.importMessage(ctx.account, {
      blobId,
      mailboxIds: mailboxIds as number[],
      flags: keywords.map(flagOf),
      ...(item.receivedAt ? { receivedAt: new Date(item.receivedAt) } : {}),
    });
  } catch (err) {
    throw new Refused(importErrorOf(err, blobId));
  }
}

/** A body part's content stored as an upload of its own (a message/rfc822 part becomes an Email). */
async function storedPart(ctx: MethodContext, partBlobId: string): Promise<number> {
  const bytes = await readBlobById(ctx.blobs, ctx.account, partBlobId);
  if (!bytes) throw invalid('blobId', 'no such blob');
  if (!isInternetMessage(bytes)) throw new Refused({ type: 'invalidEmail', description: 'the blob is not an Internet message (RFC 5322)' });
  try {
    return (await ctx.blobs.upload(ctx.account, bytes)).blobId;
  } catch (err) {
    const known = setErrorOf(err);
    if (known) throw new Refused(known);
    throw err;
  }
}

function importErrorOf(err: unknown, blobId: number): SetError {
  if (isServiceError(err, 'blob_not_found')) return { type: 'invalidProperties', description: 'no such blob', properties: ['blobId'] };
  if (isServiceError(err, 'mailbox_not_found')) return { type: 'invalidProperties', description: 'no such mailbox', properties: ['mailboxIds'] };
  if (isServiceError(err, 'message_exists')) return { type: 'alreadyExists', existingId: emailIdOf(blobId) };
  if (isServiceError(err, 'not_a_message')) return { type: 'invalidEmail', description: 'the blob is not an Internet message (RFC 5322)' };
  const known = setErrorOf(err);
  if (known) return known;
  throw err;
}

function invalid(property: string, description: string): Refused {
  return new Refused({ type: 'invalidProperties', description, properties: [property] });
}

// Email/set (RFC 8621 §4.6) for this slice: updates of `keywords` and `mailboxIds` (whole or
// patched per key) and destroy. An Email is a blob (ids.ts) held by a message row in each of
// its mailboxes: keywords are stored on every row; a mailbox left for one joined is an IMAP
// MOVE of a row (the Email keeps its id), one more mailbox a COPY, one fewer a removal of that
// row; destroy removes every row. Creating Emails is in email-create.ts.
import { z } from 'zod';
import { isServiceError } from '../../../services/errors.js';
import type { EmailRow } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { MethodError, setErrorOf, type SetError } from '../errors.js';
import { emailsOf, type EmailView } from '../emails.js';
import { mailboxIdOf, parseEmailId, parseMailboxId } from '../ids.js';
import { flagOf, hiddenFlags, isValidKeyword, keywordOf } from '../keywords.js';
import { MAX_OBJECTS_IN_SET } from '../limits.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, Id } from './args.js';
import { createEmails } from './email-create.js';

const Args = z.strictObject({
  accountId: AccountId,
  ifInState: z.string().nullish(),
  create: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
  update: z.record(Id, z.record(z.string(), z.unknown())).nullish(),
  destroy: z.array(Id).nullish(),
});

/** Attempts at a keyword update that an IMAP STORE keeps overtaking. */
const STORE_ATTEMPTS = 3;

class Refused extends Error {
  constructor(readonly setError: SetError) {
    super(setError.type);
  }
}

export const emailSet = defineMethod('Email/set', MAIL, Args, async (args, ctx) => {
  const create = Object.keys(args.create ?? {});
  const update = Object.entries(args.update ?? {});
  const destroy = [...new Set(args.destroy ?? [])];
  if (create.length + update.length + destroy.length > MAX_OBJECTS_IN_SET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_SET} objects per /set`);
  const oldState = stateOf(await currentModseq(ctx));
  if (args.ifInState !== undefined && args.ifInState !== null && args.ifInState !== oldState) throw new MethodError('stateMismatch');

  const { created, notCreated } = await createEmails(ctx, args.create ?? {});

  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  const mailboxes = new Set((await ctx.mailboxes.list(ctx.account)).map((m) => m.id));
  for (const [id, patch] of update) {
    if (destroy.includes(id)) {
      notUpdated[id] = { type: 'willDestroy' };
      continue;
    }
    await attempt(notUpdated, id, async () => {
      await updateEmail(ctx, lookup(id), patch, mailboxes);
      updated[id] = null;
    });
  }

  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  for (const id of destroy) {
    await attempt(notDestroyed, id, async () => {
      const blobId = lookup(id);
      if ((await ctx.messages.removeBlobs(ctx.account, [{ blobId }])).length === 0) throw new Refused({ type: 'notFound' });
      destroyed.push(id);
    });
  }

  return {
    accountId: ctx.accountId,
    oldState,
    newState: stateOf(await currentModseq(ctx)),
    created: Object.keys(created).length > 0 ? created : null,
    updated: update.length > 0 && Object.keys(updated).length > 0 ? updated : null,
    destroyed: destroyed.length > 0 ? destroyed : null,
    notCreated: Object.keys(notCreated).length > 0 ? notCreated : null,
    notUpdated: Object.keys(notUpdated).length > 0 ? notUpdated : null,
    notDestroyed: Object.keys(notDestroyed).length > 0 ? notDestroyed : null,
  };
});

async function attempt(errors: Record<string, SetError>, id: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const setError = err instanceof Refused ? err.setError : setErrorOf(err);
    if (!setError) throw err;
    errors[id] = setError;
  }
}

function lookup(id: string): number {
  const blobId = parseEmailId(id);
  if (blobId === undefined) throw new Refused({ type: 'notFound' });
  return blobId;
}

async function current(ctx: MethodContext, blobId: number): Promise<EmailView> {
  const email = (await emailsOf(ctx, [blobId])).get(blobId);
  if (!email) throw new Refused({ type: 'notFound' });
  return email;
}

interface Change {
  /** Lowercased keywords after the update, when it touches keywords. */
  keywords?: Set<string>;
  /** The mailboxes after the update, when it touches mailboxIds. */
  mailboxIds?: Set<number>;
}

async function updateEmail(ctx: MethodContext, blobId: number, patch: Record<string, unknown>, mailboxes: ReadonlySet<number>): Promise<void> {
  let email = await current(ctx, blobId);
  const change = readPatch(patch, email, mailboxes);
  if (change.keywords) {
    for (let i = 0; ; i++) {
      let failed = false;
      for (const row of email.rows) {
        const flags = flagsWith(row.flags, change.keywords);
        const r = await ctx.messages.store(ctx.account, row.mailboxId, [row.uid], 'set', flags, { unchangedSince: row.modseq });
        if (r.failed.length > 0) failed = true;
      }
      if (!failed) break;
      // An IMAP STORE changed a copy in between: apply the patch to what it has now.
      if (i + 1 >= STORE_ATTEMPTS) throw new MethodError('serverFail', 'the message kept changing; try again');
      email = await current(ctx, blobId);
      Object.assign(change, readPatch(patch, email, mailboxes));
    }
    email = await current(ctx, blobId);
  }
  if (change.mailboxIds) await moveEmail(ctx, email, change.mailboxIds);
}

/** Gets the Email's rows into exactly `target`: moves first (the rows keep the Email), then copies, then removals. */
async function moveEmail(ctx: MethodContext, email: EmailView, target: ReadonlySet<number>): Promise<void> {
  const leaving: EmailRow[] = email.rows.filter((r) => !target.has(r.mailboxId));
  const joining = [...target].filter((m) => !email.mailboxIds.includes(m));
  try {
    while (leaving.length > 0 && joining.length > 0) {
      const row = leaving.shift()!;
      await ctx.messages.copy(ctx.account, row.mailboxId, [row.uid], joining.shift()!, { move: true });
    }
    const source = email.rows.find((r) => target.has(r.mailboxId)) ?? email.rows[0]!;
    for (const to of joining) await ctx.messages.copy(ctx.account, source.mailboxId, [source.uid], to);
  } catch (err) {
    if (isServiceError(err, 'mailbox_not_found')) throw new Refused({ type: 'invalidProperties', properties: ['mailboxIds'] });
    throw err;
  }
  if (leaving.length > 0) await ctx.messages.removeBlobs(ctx.account, [{ blobId: email.blobId, mailboxIds: [...new Set(leaving.map((r) => r.mailboxId))] }]);
}

function readPatch(patch: Record<string, unknown>, email: EmailView, mailboxes: ReadonlySet<number>): Change {
  const change: Change = {};
  const keywords = new Set(email.latest.flags.map(keywordOf).filter((k): k is string => k !== undefined));
  const inMailboxes = new Set(email.mailboxIds.map(mailboxIdOf));
  let touchesKeywords = false;
  let touchesMailboxes = false;
  for (const [path, value] of Object.entries(patch)) {
    const [property, ...rest] = path.split('/');
    const key = rest.join('/').replace(/~1/g, '/').replace(/~0/g, '~');
    if (property === 'keywords' && rest.length === 0) {
      if (!isSetOfTrue(value) || !Object.keys(value).every(isValidKeyword)) throw invalid('keywords');
      keywords.clear();
      for (const k of Object.keys(value)) keywords.add(k.toLowerCase());
      touchesKeywords = true;
    } else if (property === 'keywords' && rest.length === 1) {
      if (Object.hasOwn(patch, 'keywords')) throw new Refused({ type: 'invalidPatch', description: `${path} patches keywords, which is also set whole` });
      if (!isValidKeyword(key) || (value !== true && value !== null)) throw invalid('keywords');
      if (value === true) keywords.add(key.toLowerCase());
      else keywords.delete(key.toLowerCase());
      touchesKeywords = true;
    } else if (property === 'mailboxIds' && rest.length === 0) {
      if (!isSetOfTrue(value)) throw invalid('mailboxIds');
      inMailboxes.clear();
      for (const id of Object.keys(value)) inMailboxes.add(id);
      touchesMailboxes = true;
    } else if (property === 'mailboxIds' && rest.length === 1) {
      if (Object.hasOwn(patch, 'mailboxIds')) throw new Refused({ type: 'invalidPatch', description: `${path} patches mailboxIds, which is also set whole` });
      if (value !== true && value !== null) throw invalid('mailboxIds');
      if (value === true) inMailboxes.add(key);
      else inMailboxes.delete(key);
      touchesMailboxes = true;
    } else {
      throw new Refused({ type: 'invalidProperties', properties: [property ?? path], description: `${path} cannot be changed here` });
    }
  }
  if (touchesKeywords) change.keywords = keywords;
  if (touchesMailboxes) {
    const ids = [...inMailboxes].map(parseMailboxId);
    if (ids.length === 0 || ids.some((id) => id === undefined || !mailboxes.has(id))) {
      throw new Refused({ type: 'invalidProperties', properties: ['mailboxIds'], description: 'an Email is in at least one mailbox, each existing' });
    }
    change.mailboxIds = new Set(ids as number[]);
  }
  return change;
}

/** The message's new flags: hidden flags kept, keywords as asked, existing flags keeping their case. */
function flagsWith(flags: readonly string[], keywords: ReadonlySet<string>): string[] {
  const existing = new Map(flags.flatMap((f) => {
    const k = keywordOf(f);
    return k === undefined ? [] : [[k, f] as const];
  }));
  return [...hiddenFlags(flags), ...[...keywords].map((k) => existing.get(k) ?? flagOf(k))];
}

function isSetOfTrue(value: unknown): value is Record<string, true> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => v === true);
}

function invalid(property: string): Refused {
  return new Refused({ type: 'invalidProperties', properties: [property] });
}

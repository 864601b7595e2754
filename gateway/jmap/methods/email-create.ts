// Email/set create (RFC 8621 §4.6): the client's Email object becomes MIME (converters'
// draftToMime) appended to its first mailbox and copied to the others, with its keywords.
// The body is a bodyStructure, or textBody/htmlBody (made multipart/alternative when both)
// with attachments (then multipart/mixed); leaves carry a bodyValues text or a blob's bytes
// (an upload or a stored message). Each creation id names its Email for `#id` references.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ConverterError } from '../../../converters/errors.js';
import { draftToMime, type DraftPart, type EmailDraft } from '../../../converters/draft-to-mime.js';
import { resolveCreationId, type MethodContext } from '../context.js';
import { headerProperties, InvalidHeader } from '../email-headers.js';
import { setErrorOf, type SetError } from '../errors.js';
import { blobIdOf, emailIdOf, parseMailboxId, threadIdOf } from '../ids.js';
import { flagOf, isValidKeyword } from '../keywords.js';
import { readBlobById } from '../part-blobs.js';
import { UnsignedInt } from './args.js';
import { parseObject, SetRefused } from './set-args.js';

const Address = z.strictObject({ name: z.string().nullish(), email: z.string() });
const Addresses = z.array(Address).nullish();
const Header = z.strictObject({ name: z.string().regex(/^[!-9;-~]+$/), value: z.string() });

interface PartInput {
  partId?: string | null | undefined;
  blobId?: string | null | undefined;
  type?: string | null | undefined;
  charset?: string | null | undefined;
  disposition?: string | null | undefined;
  cid?: string | null | undefined;
  language?: string[] | null | undefined;
  location?: string | null | undefined;
  name?: string | null | undefined;
  headers?: Array<z.infer<typeof Header>> | null | undefined;
  size?: number | null | undefined;
  subParts?: PartInput[] | null | undefined;
}

const Part: z.ZodType<PartInput> = z.lazy(() =>
  z.strictObject({
    partId: z.string().nullish(), blobId: z.string().nullish(), type: z.string().nullish(), charset: z.string().nullish(), disposition: z.string().nullish(),
    cid: z.string().nullish(), language: z.array(z.string()).nullish(), location: z.string().nullish(), name: z.string().nullish(),
    headers: z.array(Header).nullish(), size: UnsignedInt.nullish(), subParts: z.array(Part).nullish(),
  }),
);

const Create = z.strictObject({
  mailboxIds: z.record(z.string(), z.literal(true)),
  keywords: z.record(z.string(), z.literal(true)).nullish(),
  receivedAt: z.iso.datetime({ offset: true }).nullish(),
  messageId: z.array(z.string()).length(1).nullish(),
  inReplyTo: z.array(z.string()).nullish(),
  references: z.array(z.string()).nullish(),
  sender: Addresses, from: Addresses, to: Addresses, cc: Addresses, bcc: Addresses, replyTo: Addresses,
  subject: z.string().nullish(),
  sentAt: z.iso.datetime({ offset: true }).nullish(),
  headers: z.array(Header).nullish(),
  bodyStructure: Part.nullish(),
  textBody: z.array(Part).max(1).nullish(),
  htmlBody: z.array(Part).max(1).nullish(),
  attachments: z.array(Part).nullish(),
  bodyValues: z.record(z.string(), z.strictObject({ value: z.string(), isEncodingProblem: z.literal(false).optional(), isTruncated: z.literal(false).optional() })).nullish(),
});
type CreateInput = z.infer<typeof Create>;

const invalid = (property: string, description?: string) => new SetRefused({ type: 'invalidProperties', properties: [property], ...(description ? { description } : {}) });

export interface CreatedEmail {
  readonly id: string;
  readonly blobId: string;
  readonly threadId: string;
  readonly size: number;
}

/** Creates each Email; a failure of one is its SetError, not the others'. */
export async function createEmails(ctx: MethodContext, create: Readonly<Record<string, Record<string, unknown>>>): Promise<{ created: Record<string, CreatedEmail>; notCreated: Record<string, SetError> }> {
  const created: Record<string, CreatedEmail> = {};
  const notCreated: Record<string, SetError> = {};
  const mailboxes = new Set((await ctx.mailboxes.list(ctx.account)).map((m) => m.id));
  for (const [creationId, object] of Object.entries(create)) {
    try {
      created[creationId] = await createEmail(ctx, object, mailboxes);
      ctx.createdIds.set(creationId, created[creationId].id);
    } catch (err) {
      const setError = err instanceof SetRefused ? err.setError : err instanceof ConverterError ? { type: 'invalidProperties' as const, description: err.message } : setErrorOf(err);
      if (!setError) throw err;
      notCreated[creationId] = setError;
    }
  }
  return { created, notCreated };
}

async function createEmail(ctx: MethodContext, object: Record<string, unknown>, mailboxes: ReadonlySet<number>): Promise<CreatedEmail> {
  let headers: Array<{ name: string; value: string }>;
  try {
    headers = headerProperties(object);
  } catch (err) {
    if (err instanceof InvalidHeader) throw invalid(err.property);
    throw err;
  }
  const input = parseObject(Create, Object.fromEntries(Object.entries(object).filter(([k]) => !k.startsWith('header:'))));
  const targets = mailboxTargets(ctx, input.mailboxIds, mailboxes);
  const keywords = Object.keys(input.keywords ?? {});
  if (!keywords.every(isValidKeyword)) throw invalid('keywords');
  const raw = await draftToMime(await draftOf(ctx, input, headers), { boundary: randomBytes(12).toString('hex') });
  const first = await ctx.messages.append(ctx.account, targets[0]!, raw, {
    flags: keywords.map(flagOf),
    ...(input.receivedAt ? { internalDate: new Date(input.receivedAt) } : {}),
  });
  for (const other of targets.slice(1)) await ctx.messages.copy(ctx.account, first.mailboxId, [first.uid], other);
  return { id: emailIdOf(first.blobId), blobId: blobIdOf(first.blobId), threadId: threadIdOf(first.threadId), size: first.size };
}

function mailboxTargets(ctx: MethodContext, mailboxIds: Readonly<Record<string, true>>, mailboxes: ReadonlySet<number>): number[] {
  const ids = Object.keys(mailboxIds).map((id) => parseMailboxId(resolveCreationId(ctx, id)));
  if (ids.length === 0 || ids.some((id) => id === undefined || !mailboxes.has(id))) throw invalid('mailboxIds', 'an Email is in at least one mailbox, each existing');
  return ids as number[];
}

async function draftOf(ctx: MethodContext, input: CreateInput, headerFields: Array<{ name: string; value: string }>): Promise<EmailDraft> {
  const sentAt = input.sentAt ? new Date(input.sentAt) : new Date();
  const from = input.from ?? null;
  const host = (from?.[0]?.email ?? ctx.account.address).split('@').pop();
  return {
    from, sender: input.sender ?? null, to: input.to ?? null, cc: input.cc ?? null, bcc: input.bcc ?? null, replyTo: input.replyTo ?? null,
    subject: input.subject ?? null,
    sentAt,
    messageId: input.messageId?.[0] ?? `${randomBytes(12).toString('hex')}@${host}`,
    inReplyTo: input.inReplyTo ?? null,
    references: input.references ?? null,
    headers: [...headerFields, ...(input.headers ?? [])],
    body: await bodyOf(ctx, input),
  };
}

async function bodyOf(ctx: MethodContext, input: CreateInput): Promise<DraftPart> {
  const reader = new PartReader(ctx, input.bodyValues ?? {});
  if (input.bodyStructure) {
    const other = (['textBody', 'htmlBody', 'attachments'] as const).find((p) => input[p]);
    if (other) throw invalid(other, 'bodyStructure and textBody/htmlBody/attachments cannot be given together');
    return reader.read(input.bodyStructure, 'bodyStructure');
  }
  const text = input.textBody?.[0] ? await reader.read(input.textBody[0], 'textBody', 'text/plain') : undefined;
  const html = input.htmlBody?.[0] ? await reader.read(input.htmlBody[0], 'htmlBody', 'text/html') : undefined;
  const main: DraftPart = text && html ? { type: 'multipart/alternative', subParts: [text, html] } : (text ?? html ?? { type: 'text/plain', content: '' });
  const attachments: DraftPart[] = [];
  for (const a of input.attachments ?? []) attachments.push(await reader.read({ disposition: 'attachment', ...a }, 'attachments'));
  return attachments.length === 0 ? main : { type: 'multipart/mixed', subParts: [main, ...attachments] };
}

/** Reads body parts: leaves from bodyValues or blobs, multiparts from their subParts. */
class PartReader {
  readonly #used = new Set<string>();

  constructor(readonly ctx: MethodContext, readonly values: Readonly<Record<string, { value: string }>>) {}

  async read(part: PartInput, property: string, requiredType?: string): Promise<DraftPart> {
    const type = (part.type ?? (part.subParts ? 'multipart/mixed' : part.partId ? 'text/plain' : 'application/octet-stream')).toLowerCase();
    if (requiredType && type !== requiredType) throw invalid(property, `the part must be ${requiredType}`);
    if (part.headers?.some((h) => /^content-transfer-encoding$/i.test(h.name))) throw invalid(property, 'Content-Transfer-Encoding is chosen by the server');
    const common = { type, charset: part.charset ?? null, disposition: part.disposition ?? null, cid: part.cid ?? null, name: part.name ?? null, language: part.language ?? null, location: part.location ?? null, headers: part.headers ?? [] };
    if (type.startsWith('multipart/')) {
      if (!part.subParts || part.partId || part.blobId) throw invalid(property, 'a multipart part has subParts and no content of its own');
      const subParts: DraftPart[] = [];
      for (const sub of part.subParts) subParts.push(await this.read(sub, property));
      return { ...common, subParts };
    }
    if (part.subParts || (part.partId ? 1 : 0) + (part.blobId ? 1 : 0) !== 1) throw invalid(property, 'a leaf part has either a partId or a blobId');
    if (part.partId) return { ...common, charset: null, content: this.#text(part.partId, type, property) };
    return { ...common, content: await this.#blob(part.blobId!) };
  }

  #text(partId: string, type: string, property: string): string {
    const value = this.values[partId];
    if (!value || !type.startsWith('text/') || this.#used.has(partId)) throw invalid(property, `partId ${partId} names no text in bodyValues (or one used twice)`);
    this.#used.add(partId);
    return value.value;
  }

  async #blob(id: string): Promise<Uint8Array> {
    // A whole blob or a part of a message's (an attachment being forwarded), part-blobs.ts.
    const bytes = await readBlobById(this.ctx.blobs, this.ctx.account, resolveCreationId(this.ctx, id));
    if (!bytes) throw new SetRefused({ type: 'blobNotFound', notFound: [id] });
    return bytes;
  }
}

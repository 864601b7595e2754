// Contact/get (docs/jmap-postage.md): how the user knows a correspondent. Contacts are stored
// as keyed hashes of their addresses, so they cannot be listed and their address cannot be
// returned (`address` is null): ids come from Contact/query or Contact/set, and `ids: null`
// is refused. An id names a hash bound to this user, so it never reaches another's contacts.
import { z } from 'zod';
import { POSTAGE } from '../capabilities.js';
import type { MethodContext } from '../context.js';
import { MethodError } from '../errors.js';
import { contactIdOf, parseContactId } from '../ids.js';
import { defineMethod } from '../method.js';
import { postageOf } from '../postage-objects.js';
import { AccountId, checkGetSize, Id, propertiesOf } from './args.js';

const PROPERTIES = ['id', 'address', 'class'];
const DEFAULTS = ['id', 'class'];
const KNOWN = new Set(PROPERTIES);

/** A contact's address: a mail address, or an LNMP identity known by its key (services/contact-service.ts keyContact). */
export const ContactAddress = z.string().max(255).regex(/^(?:[^\s@]+@[^\s@]+|lnmp-key:[0-9a-fA-F]{64})$/, 'expected a mail address or lnmp-key:<64 hex digits>');

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const contactGet = defineMethod('Contact/get', POSTAGE, Args, async (args, ctx) => {
  if (!args.ids) throw new MethodError('invalidArguments', 'contacts are not listable: give the ids Contact/query or Contact/set returned');
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, DEFAULTS);
  const { contacts } = postageOf(ctx);
  const state = await contactState(ctx);
  const wanted = [...new Set(args.ids)];
  const hashes = wanted.flatMap((id) => parseContactId(id) ?? []);
  const classes = await contacts.classesOf(ctx.account.userId, hashes);
  const list: Array<Record<string, unknown>> = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const hash = parseContactId(id);
    const cls = hash && classes.get(Buffer.from(hash).toString('hex'));
    if (!cls) notFound.push(id);
    else list.push(Object.fromEntries(PROPERTIES.filter((p) => properties.has(p)).map((p) => [p, { id, address: null, class: cls }[p]])));
  }
  return { accountId: ctx.accountId, state, list, notFound };
});

export async function contactState(ctx: MethodContext): Promise<string> {
  return postageOf(ctx).contacts.version(ctx.account.userId);
}

/** The Contact id of the user's contact for `address` (whether or not there is one). */
export function contactIdFor(ctx: MethodContext, address: string): string {
  return contactIdOf(postageOf(ctx).contacts.hashOf(ctx.account.userId, address));
}

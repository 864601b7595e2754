// Contact/query (docs/jmap-postage.md): contacts cannot be listed, so the one filter is an exact
// address, and the answer is that address's contact id or nothing. Any other filter (or none)
// is unsupportedFilter; there is no sort.
import { z } from 'zod';
import { POSTAGE } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { contactIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { postageOf } from '../postage-objects.js';
import { queryWindow } from '../query-window.js';
import { QueryArgs } from './args.js';
import { ContactAddress, contactState } from './contact-get.js';

const Filter = z.strictObject({ address: ContactAddress });
const NOT_LISTABLE = 'contacts are not listable: Contact/query takes exactly one filter, {"address": "<the exact address>"}';

export const contactQuery = defineMethod('Contact/query', POSTAGE, QueryArgs, async (args, ctx) => {
  if (!args.filter || Object.keys(args.filter).join() !== 'address') throw new MethodError('unsupportedFilter', NOT_LISTABLE);
  const parsed = Filter.safeParse(args.filter);
  if (!parsed.success) throw new MethodError('unsupportedFilter', `address: ${parsed.error.issues[0]!.message}`);
  if (args.sort && args.sort.length > 0) throw new MethodError('unsupportedSort', 'Contact/query returns at most one id and has no sort');
  const { contacts } = postageOf(ctx);
  const queryState = await contactState(ctx);
  const hash = contacts.hashOf(ctx.account.userId, parsed.data.address);
  const found = (await contacts.classesOf(ctx.account.userId, [hash])).size > 0;
  return { accountId: ctx.accountId, queryState, canCalculateChanges: false, ...queryWindow(found ? [contactIdOf(hash)] : [], args) };
});

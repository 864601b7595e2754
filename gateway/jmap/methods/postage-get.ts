// Postage/get (docs/jmap-postage.md): the account's postage cases by id ("P" and the case
// number), or all of them; another account's case is notFound like one that never existed.
import { z } from 'zod';
import { POSTAGE } from '../capabilities.js';
import { defineMethod } from '../method.js';
import { parsePostageId } from '../ids.js';
import { POSTAGE_PROPERTIES, postageObject, postageOf, postageState } from '../postage-objects.js';
import { AccountId, checkGetSize, Id, pickObjects, propertiesOf } from './args.js';

const KNOWN = new Set<string>(POSTAGE_PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const postageGet = defineMethod('Postage/get', POSTAGE, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, POSTAGE_PROPERTIES);
  const { postage } = postageOf(ctx);
  const state = await postageState(ctx);
  const ids = args.ids?.flatMap((id) => parsePostageId(id) ?? []);
  const cases = await postage.caseViews(ctx.account.userId, ids ? { ids } : {});
  checkGetSize(cases);
  const all = new Map(cases.map((c) => { const o = postageObject(c); return [o['id'] as string, o]; }));
  return { accountId: ctx.accountId, state, ...pickObjects(all, args.ids, properties, POSTAGE_PROPERTIES) };
});

// Identity/get (RFC 8621 §6.1): one identity per account, the user's own address with an empty
// name and no signatures; it cannot be deleted. Identity/set is not served.
import { z } from 'zod';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { identityIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, propertiesOf } from './args.js';

const PROPERTIES = ['id', 'name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'];
const KNOWN = new Set(PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const identityGet = defineMethod('Identity/get', SUBMISSION, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const state = stateOf(await currentModseq(ctx));
  const own = identityOf(ctx);
  const wanted = args.ids ? [...new Set(args.ids)] : [own.id];
  const list = wanted.filter((id) => id === own.id).map(() => Object.fromEntries(PROPERTIES.filter((p) => properties.has(p)).map((p) => [p, own[p as keyof typeof own]])));
  return { accountId: ctx.accountId, state, list, notFound: wanted.filter((id) => id !== own.id) };
});

function identityOf(ctx: MethodContext) {
  return { id: identityIdOf(ctx.account.userId), name: '', email: ctx.account.address, replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: false };
}

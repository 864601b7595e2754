// Identity/get (RFC 8621 §6.1): the account's default identity (its own address; it cannot be
// deleted) and those the user added with Identity/set, as IdentityService keeps them.
import { z } from 'zod';
import type { Identity } from '../../../services/identity-service.js';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, type MethodContext } from '../context.js';
import { addedIdentityIdOf, identityIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, pickObjects, propertiesOf } from './args.js';

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
  const all = new Map((await identitiesOf(ctx)).map((i) => [i['id'] as string, i]));
  return { accountId: ctx.accountId, state, ...pickObjects(all, args.ids, properties, PROPERTIES) };
});

/** The JMAP id of an identity of the account. */
export function identityJmapId(ctx: MethodContext, id: Identity['id']): string {
  return id === 'default' ? identityIdOf(ctx.account.userId) : addedIdentityIdOf(id);
}

/** Every identity of the account as JMAP Identity objects, the default one first. */
export async function identitiesOf(ctx: MethodContext): Promise<Array<Record<string, unknown>>> {
  const services = ctx.submission?.();
  const identities: Identity[] = services
    ? await services.identities.list(ctx.account)
    : [{ id: 'default', fields: { name: '', email: ctx.account.address, replyTo: null, bcc: null, textSignature: '', htmlSignature: '' } }];
  return identities.map((i) => ({ id: identityJmapId(ctx, i.id), ...i.fields, mayDelete: i.id !== 'default' }));
}

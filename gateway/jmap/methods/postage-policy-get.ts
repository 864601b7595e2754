// PostagePolicy/get (docs/jmap-postage.md): the account's one postage policy, id "singleton":
// its prices and choices, the gateway's defaults where the user set none.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PostagePolicy } from '../../../services/postage-policy.js';
import { POSTAGE } from '../capabilities.js';
import type { MethodContext } from '../context.js';
import { defineMethod } from '../method.js';
import { postageOf } from '../postage-objects.js';
import { AccountId, propertiesOf } from './args.js';
import { SINGLETON_ID } from './set-args.js';

export const SINGLETON = SINGLETON_ID;
/** The settings a user may change, as services/postage-policy.ts names them. */
export const POLICY_SETTINGS = ['strangerSats', 'acquaintanceSats', 'prioritySats', 'surgeUnread', 'refundOnReply', 'autoReply'] as const satisfies ReadonlyArray<keyof PostagePolicy>;
const PROPERTIES = ['id', ...POLICY_SETTINGS];
const KNOWN = new Set<string>(PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(z.string()).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const postagePolicyGet = defineMethod('PostagePolicy/get', POSTAGE, Args, async (args, ctx) => {
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const policy = await policyOf(ctx);
  const wanted = args.ids ? [...new Set(args.ids)] : [SINGLETON];
  const object: Record<string, unknown> = { id: SINGLETON, ...policy };
  const list = wanted.includes(SINGLETON) ? [Object.fromEntries(PROPERTIES.filter((p) => properties.has(p)).map((p) => [p, object[p]]))] : [];
  return { accountId: ctx.accountId, state: policyState(policy), list, notFound: wanted.filter((id) => id !== SINGLETON) };
});

export function policyOf(ctx: MethodContext): Promise<PostagePolicy> {
  return postageOf(ctx).postage.policy(ctx.account.userId);
}

/** The policy's state: a digest of its values, so it changes exactly when they do. */
export function policyState(policy: PostagePolicy): string {
  return createHash('sha256').update(JSON.stringify(POLICY_SETTINGS.map((k) => policy[k]))).digest('hex').slice(0, 16);
}

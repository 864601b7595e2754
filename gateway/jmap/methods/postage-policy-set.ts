// PostagePolicy/set (docs/jmap-postage.md): only updates of the singleton; create and destroy
// are `singleton` errors. A setting set to null goes back to the gateway's default. A value
// out of range is invalidProperties naming the setting, with the service's own words.
import { z } from 'zod';
import { isServiceError } from '../../../services/errors.js';
import { checkPolicySetting, type PolicyPatch } from '../../../services/postage-policy.js';
import { POSTAGE } from '../capabilities.js';
import { defineMethod } from '../method.js';
import { postageOf } from '../postage-objects.js';
import { parseObject, SetArgs, SetRefused, singletonSet } from './set-args.js';
import { POLICY_SETTINGS, policyOf, policyState } from './postage-policy-get.js';

const Patch = z.strictObject(Object.fromEntries(POLICY_SETTINGS.map((k) => [k, z.unknown().optional()])) as Record<(typeof POLICY_SETTINGS)[number], z.ZodOptional<z.ZodUnknown>>);

export const postagePolicySet = defineMethod('PostagePolicy/set', POSTAGE, SetArgs, async (args, ctx) => {
  const { postage } = postageOf(ctx);
  const oldState = policyState(await policyOf(ctx));
  const result = await singletonSet(args, 'PostagePolicy', oldState, async (patch) => {
    const p = parseObject(Patch, patch);
    for (const key of POLICY_SETTINGS) checkSetting(key, p[key]);
    await postage.setPolicy(ctx.account.userId, p as PolicyPatch);
  });
  return { accountId: ctx.accountId, oldState, newState: policyState(await policyOf(ctx)), ...result };
});

/** @throws SetRefused invalidProperties naming the setting, in the service's words */
function checkSetting(key: (typeof POLICY_SETTINGS)[number], value: unknown): void {
  try {
    if (value !== undefined) checkPolicySetting(key, value);
  } catch (err) {
    if (isServiceError(err, 'invalid_argument')) throw new SetRefused({ type: 'invalidProperties', properties: [key], description: err.message });
    throw err;
  }
}

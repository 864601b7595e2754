// Postage/changes (docs/jmap-postage.md): cases record their changes as events, not under the
// account's modseq, so changes are not listed: the current state answers with no changes,
// any other state with cannotCalculateChanges, and the client reads the cases again.
import { POSTAGE } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { defineMethod } from '../method.js';
import { postageState } from '../postage-objects.js';
import { ChangesArgs } from './args.js';

export const postageChanges = defineMethod('Postage/changes', POSTAGE, ChangesArgs, async (args, ctx) => {
  const state = await postageState(ctx);
  if (args.sinceState !== state) throw new MethodError('cannotCalculateChanges', 'Postage changes are not listed: read the cases again with Postage/query and Postage/get');
  return { accountId: ctx.accountId, oldState: state, newState: state, hasMoreChanges: false, created: [], updated: [], destroyed: [] };
});

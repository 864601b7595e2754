// Postage/set (docs/jmap-postage.md): cases are opened by deliveries and kept for the record,
// so create and destroy are forbidden; an update `{"action": "accept" | "reject"}` decides a
// case by hand (PostageService.decideCase): accept settles held postage or approves an unpaid
// sender, reject refunds held postage or declines; the message moves as a mail client would
// move it. The reply's `updated` carries the case's state afterwards.
import { z } from 'zod';
import { isServiceError } from '../../../services/errors.js';
import { POSTAGE } from '../capabilities.js';
import type { SetError } from '../errors.js';
import { parsePostageId } from '../ids.js';
import { defineMethod } from '../method.js';
import { postageOf, postageState } from '../postage-objects.js';
import { attemptSet, checkSet, parseObject, SetArgs, SetRefused, setResult } from './set-args.js';

const Patch = z.strictObject({ action: z.enum(['accept', 'reject']) });

export const postageSet = defineMethod('Postage/set', POSTAGE, SetArgs, async (args, ctx) => {
  const { postage } = postageOf(ctx);
  const oldState = await postageState(ctx);
  checkSet(args, oldState);
  const kept = (description: string): SetError => ({ type: 'forbidden', description });
  const notCreated = Object.fromEntries(Object.keys(args.create ?? {}).map((id) => [id, kept('postage cases are opened by deliveries')]));
  const notDestroyed = Object.fromEntries((args.destroy ?? []).map((id) => [id, kept('postage cases are kept; decide one with update {"action": "accept" | "reject"}')]));
  const updated: Record<string, Record<string, unknown>> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      const caseId = parsePostageId(id);
      if (caseId === undefined) throw new SetRefused({ type: 'notFound' });
      const other = Object.keys(patch).find((p) => p !== 'action');
      if (other !== undefined) throw new SetRefused({ type: 'invalidProperties', properties: [other], description: 'only "action" can be set: the other properties of a case are the server\'s' });
      const { action } = parseObject(Patch, patch);
      try {
        const after = await postage.decideCase(ctx.account, caseId, action);
        updated[id] = { state: after.state };
      } catch (err) {
        if (isServiceError(err, 'postage_not_found')) throw new SetRefused({ type: 'notFound' });
        if (isServiceError(err, 'invalid_argument')) throw new SetRefused(kept(err.message));
        throw err;
      }
    });
  }
  return { accountId: ctx.accountId, oldState, newState: await postageState(ctx), ...setResult({ updated, notCreated, notUpdated, notDestroyed }) };
});

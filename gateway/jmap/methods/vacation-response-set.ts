// VacationResponse/set (RFC 8621 §8.2): only updates of the singleton; create and destroy are
// `singleton` errors. Turning it on starts a new reply window (vacation-service.ts).
import { z } from 'zod';
import type { VacationSettings } from '../../../services/vacation-service.js';
import { VACATION_RESPONSE } from '../capabilities.js';
import { currentModseq, submissionOf } from '../context.js';
import type { SetError } from '../errors.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { attemptSet, checkSet, parseObject, SetArgs, SetRefused, setResult } from './set-args.js';
import { SINGLETON } from './vacation-response-get.js';

const Patch = z.strictObject({
  isEnabled: z.boolean().optional(),
  fromDate: z.iso.datetime({ offset: true }).nullable().optional(),
  toDate: z.iso.datetime({ offset: true }).nullable().optional(),
  subject: z.string().max(998).nullable().optional(),
  textBody: z.string().max(100_000).nullable().optional(),
  htmlBody: z.string().max(200_000).nullable().optional(),
});

export const vacationResponseSet = defineMethod('VacationResponse/set', VACATION_RESPONSE, SetArgs, async (args, ctx) => {
  const { vacation } = submissionOf(ctx);
  const oldState = stateOf(await currentModseq(ctx));
  checkSet(args, oldState);
  const singleton: SetError = { type: 'singleton', description: 'there is exactly one VacationResponse, "singleton"' };
  const notCreated = Object.fromEntries(Object.keys(args.create ?? {}).map((id) => [id, singleton]));
  const notDestroyed = Object.fromEntries((args.destroy ?? []).map((id) => [id, id === SINGLETON ? singleton : { type: 'notFound' as const }]));
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      if (id !== SINGLETON) throw new SetRefused({ type: 'notFound' });
      const p = parseObject(Patch, patch);
      const current = await vacation.get(ctx.account.userId);
      const date = (value: string | null | undefined, old: Date | null) => (value === undefined ? old : value === null ? null : new Date(value));
      const next: VacationSettings = {
        isEnabled: p.isEnabled ?? current.isEnabled,
        fromDate: date(p.fromDate, current.fromDate),
        toDate: date(p.toDate, current.toDate),
        subject: p.subject === undefined ? current.subject : p.subject,
        textBody: p.textBody === undefined ? current.textBody : p.textBody,
        htmlBody: p.htmlBody === undefined ? current.htmlBody : p.htmlBody,
      };
      await vacation.set(ctx.account.userId, next);
      updated[id] = null;
    });
  }
  return { accountId: ctx.accountId, oldState, newState: stateOf(await currentModseq(ctx)), ...setResult({ updated, notCreated, notUpdated, notDestroyed }) };
});

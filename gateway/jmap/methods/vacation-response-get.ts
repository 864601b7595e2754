// VacationResponse/get (RFC 8621 §8.1): the account's one vacation response, id "singleton".
import { z } from 'zod';
import type { VacationSettings } from '../../../services/vacation-service.js';
import { VACATION_RESPONSE } from '../capabilities.js';
import { currentModseq, submissionOf } from '../context.js';
import { utcDate } from '../email-content.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, propertiesOf } from './args.js';

export const SINGLETON = 'singleton';
const PROPERTIES = ['id', 'isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'];
const KNOWN = new Set(PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(z.string()).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const vacationResponseGet = defineMethod('VacationResponse/get', VACATION_RESPONSE, Args, async (args, ctx) => {
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const state = stateOf(await currentModseq(ctx));
  const wanted = args.ids ? [...new Set(args.ids)] : [SINGLETON];
  const object = vacationObject(await submissionOf(ctx).vacation.get(ctx.account.userId));
  const list = wanted.includes(SINGLETON) ? [Object.fromEntries(PROPERTIES.filter((p) => properties.has(p)).map((p) => [p, object[p]]))] : [];
  return { accountId: ctx.accountId, state, list, notFound: wanted.filter((id) => id !== SINGLETON) };
});

export function vacationObject(v: VacationSettings): Record<string, unknown> {
  const date = (d: Date | null) => (d === null ? null : utcDate(d));
  return { id: SINGLETON, isEnabled: v.isEnabled, fromDate: date(v.fromDate), toDate: date(v.toDate), subject: v.subject, textBody: v.textBody, htmlBody: v.htmlBody };
}

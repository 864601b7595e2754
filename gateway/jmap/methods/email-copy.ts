// Email/copy (RFC 8620 §5.4, RFC 8621 §4.7) copies Emails between two accounts. A login here
// opens exactly one account, so there is never a second one to copy from or to: another
// fromAccountId is fromAccountNotFound (another accountId is accountNotFound, from api.ts), and
// the same account twice is invalidArguments, as §5.4 requires the two to differ (within one
// account, Email/set changes an Email's mailboxIds instead).
import { z } from 'zod';
import { MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import { defineMethod } from '../method.js';
import { AccountId } from './args.js';

const Args = z.strictObject({
  fromAccountId: AccountId,
  ifFromInState: z.string().nullish(),
  accountId: AccountId,
  ifInState: z.string().nullish(),
  create: z.record(z.string(), z.record(z.string(), z.unknown())),
  onSuccessDestroyOriginal: z.boolean().optional(),
  destroyFromIfInState: z.string().nullish(),
});

export const emailCopy = defineMethod('Email/copy', MAIL, Args, async (args, ctx) => {
  if (args.fromAccountId !== ctx.accountId) throw new MethodError('fromAccountNotFound');
  throw new MethodError('invalidArguments', 'fromAccountId and accountId are the same account; Email/set moves Emails between its mailboxes');
});

// GETQUOTAROOT and GETQUOTA (RFC 2087): one storage quota for the whole account, root "".
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { answer } from './replies.js';

interface QuotaValues {
  root: string;
  quota: number;
  storageUsed: number;
}

type QuotaCallback = (err: Error | null, result?: QuotaValues | string) => void;

async function quota(ctx: ImapContext, session: EngineSession): Promise<[true, QuotaValues]> {
  const q = await ctx.messages.quota(accountOf(ctx, session));
  return [true, { root: '', quota: q.limitBytes, storageUsed: q.usedBytes }];
}

export function onGetQuotaRoot(ctx: ImapContext) {
  return (path: string, session: EngineSession, callback: QuotaCallback): void => {
    answer<[QuotaValues]>(ctx.logger, 'GETQUOTAROOT', async () => {
      await ctx.mailboxes.byName(accountOf(ctx, session), path);
      return quota(ctx, session);
    }, (err, result, values) => callback(err, result === true ? values : result));
  };
}

export function onGetQuota(ctx: ImapContext) {
  return (root: string, session: EngineSession, callback: QuotaCallback): void => {
    answer<[QuotaValues]>(ctx.logger, 'GETQUOTA', async () => (root === '' ? quota(ctx, session) : 'NONEXISTENT'), (err, result, values) => callback(err, result === true ? values : result));
  };
}

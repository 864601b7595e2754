// Thread/get (RFC 8621 §3.1): a Thread is the messages sharing a thread id (services/
// threading.ts); its emailIds are their Emails (blobs, ids.ts), oldest receivedAt first.
import { z } from 'zod';
import type { EmailRow } from '../../../services/message-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq } from '../context.js';
import { byReceivedAt, groupEmails } from '../emails.js';
import { emailIdOf, parseThreadId, threadIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, propertiesOf } from './args.js';

const PROPERTIES = ['id', 'emailIds'];
const KNOWN = new Set(PROPERTIES);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const threadGet = defineMethod('Thread/get', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const state = stateOf(await currentModseq(ctx));
  const threadIds = args.ids ? args.ids.flatMap((id) => parseThreadId(id) ?? []) : undefined;
  const rows = threadIds?.length === 0 ? [] : await ctx.messages.emailRows(ctx.account, threadIds ? { threadIds } : {});
  const byThread = new Map<number, EmailRow[]>();
  for (const r of rows) {
    const list = byThread.get(r.threadId);
    if (list) list.push(r);
    else byThread.set(r.threadId, [r]);
  }
  const wanted = args.ids ? [...new Set(args.ids)] : [...byThread.keys()].map(threadIdOf);
  if (!args.ids) checkGetSize(wanted);
  const list: Array<Record<string, unknown>> = [];
  const notFound: string[] = [];
  for (const id of wanted) {
    const threadId = parseThreadId(id);
    const threadRows = threadId === undefined ? undefined : byThread.get(threadId);
    if (!threadRows) {
      notFound.push(id);
      continue;
    }
    const emailIds = [...groupEmails(threadRows).values()].sort(byReceivedAt(true)).map((e) => emailIdOf(e.blobId));
    list.push(properties.has('emailIds') ? { id, emailIds } : { id });
  }
  return { accountId: ctx.accountId, state, list, notFound };
});

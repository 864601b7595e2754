// COPY and MOVE (RFC 6851) with COPYUID (RFC 4315). Copies share the sealed blob. MOVE
// answers an untagged EXPUNGE for each moved message before the tagged OK.
import { isServiceError } from '../../services/errors.js';
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';
import { isSelection, type Selection } from './selection.js';

interface CopyOptions {
  destination: string;
  messages: number[];
}

interface CopyInfo {
  uidValidity: number;
  sourceUid: number[];
  destinationUid: number[];
}

type CopyCallback = (err: Error | null, result?: HookResult, info?: CopyInfo) => void;

async function copy(ctx: ImapContext, sel: Selection, options: CopyOptions, session: EngineSession, move: boolean): Promise<[true, CopyInfo] | string> {
  const account = accountOf(ctx, session);
  let target;
  try {
    target = await ctx.mailboxes.byName(account, options.destination);
  } catch (err) {
    if (isServiceError(err, 'mailbox_not_found')) return 'TRYCREATE';
    throw err;
  }
  const pairs = await ctx.messages.copy(account, sel.mailboxId, options.messages, target.id, { move });
  if (move && session.selected && session.selected.mailbox === sel) {
    for (const { from } of pairs) {
      const response = session.formatResponse('EXPUNGE', from);
      if (response) session.writeStream.write(response);
    }
  }
  return [true, { uidValidity: target.uidvalidity, sourceUid: pairs.map((p) => p.from), destinationUid: pairs.map((p) => p.to) }];
}

export function onCopy(ctx: ImapContext) {
  return (_connection: unknown, mailbox: unknown, options: CopyOptions, session: EngineSession, callback: CopyCallback): void => {
    answer<[CopyInfo]>(ctx.logger, 'COPY', async () => (isSelection(mailbox) ? copy(ctx, mailbox, options, session, false) : 'NONEXISTENT'), callback);
  };
}

export function onMove(ctx: ImapContext) {
  return (mailbox: unknown, options: CopyOptions, session: EngineSession, callback: CopyCallback): void => {
    answer<[CopyInfo]>(ctx.logger, 'MOVE', async () => (isSelection(mailbox) ? copy(ctx, mailbox, options, session, true) : 'NONEXISTENT'), callback);
  };
}

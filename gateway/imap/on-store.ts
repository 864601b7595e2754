// STORE and UID STORE: +FLAGS, -FLAGS, FLAGS (and .SILENT), keywords, CONDSTORE
// UNCHANGEDSINCE. Each changed message is answered with an untagged FETCH; a keyword new to
// the mailbox is announced first with an untagged FLAGS (RFC 3501 §7.2.6), which the engine
// does not do by itself. Messages another session expunged are skipped and the STORE is OK.
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession, HookResult } from './engine.js';
import { answer } from './replies.js';
import { isSelection, keywordsOf, writeFlags, type Selection } from './selection.js';

export interface StoreOptions {
  value: string[];
  action: 'add' | 'remove' | 'set';
  silent: boolean;
  messages: number[];
  unchangedSince: number;
  isUid?: boolean;
}

export function onStore(ctx: ImapContext) {
  return (mailbox: unknown, options: StoreOptions, session: EngineSession, callback: (err: Error | null, result?: HookResult, modified?: number[]) => void): void => {
    answer<[number[]]>(ctx.logger, 'STORE', async () => {
      if (!isSelection(mailbox)) return 'NONEXISTENT';
      // UID STORE reaches here on an EXAMINEd mailbox too; like STORE there, it changes nothing.
      if (session.selected && session.selected.readOnly) return [true, []];
      return [true, await store(ctx, mailbox, options, session)];
    }, callback);
  };
}

async function store(ctx: ImapContext, sel: Selection, options: StoreOptions, session: EngineSession): Promise<number[]> {
  const { updated, failed } = await ctx.messages.store(accountOf(ctx, session), sel.mailboxId, options.messages, options.action, options.value, options.unchangedSince ? { unchangedSince: options.unchangedSince } : {});
  if (options.action !== 'remove') announceKeywords(sel, options.value, session);
  const condstore = session.selected ? session.selected.condstoreEnabled : false;
  for (const m of updated) {
    sel.ownChanges.set(m.uid, m.modseq);
    if (options.silent && !condstore) continue;
    const response = session.formatResponse('FETCH', m.uid, { uid: options.isUid ? m.uid : false, flags: m.flags, modseq: condstore ? m.modseq : false });
    if (response) session.writeStream.write(response);
  }
  return failed;
}

/** Sends `* FLAGS (...)` when the STORE brought keywords the client was not told about. */
function announceKeywords(sel: Selection, flags: readonly string[], session: EngineSession): void {
  const fresh = keywordsOf(flags).filter((k) => !sel.keywords.has(k));
  if (fresh.length === 0) return;
  for (const k of fresh) sel.keywords.add(k);
  writeFlags(sel, session);
}

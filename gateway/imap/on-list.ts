// LIST and LSUB: the account's mailboxes (names opened with the session's key), with the
// RFC 6154 special-use attribute of each role. The Screener (unpaid mail) has no registered
// attribute, so it is listed by name only. The engine matches the pattern and adds \HasChildren.
import type { MailboxRole } from '../../services/mailbox-names.js';
import { accountOf, type ImapContext } from './context.js';
import type { EngineSession } from './engine.js';
import { codeForError } from './replies.js';

export const SPECIAL_USE: Readonly<Record<MailboxRole, string | undefined>> = {
  inbox: undefined,
  sent: '\\Sent',
  drafts: '\\Drafts',
  trash: '\\Trash',
  junk: '\\Junk',
  archive: '\\Archive',
  screener: undefined,
};

interface Folder {
  path: string;
  specialUse?: string;
}

type ListCallback = (err: Error | null, folders?: Folder[]) => void;

async function folders(ctx: ImapContext, session: EngineSession, subscribedOnly: boolean): Promise<Folder[]> {
  const all = await ctx.mailboxes.list(accountOf(ctx, session));
  return all
    .filter((m) => !subscribedOnly || m.subscribed)
    .map((m) => {
      const specialUse = m.role === null ? undefined : SPECIAL_USE[m.role];
      return specialUse === undefined ? { path: m.name } : { path: m.name, specialUse };
    });
}

function hook(ctx: ImapContext, subscribedOnly: boolean) {
  return (_query: string, session: EngineSession, callback: ListCallback): void => {
    folders(ctx, session, subscribedOnly).then(
      (list) => callback(null, list),
      (err: unknown) => {
        codeForError(ctx.logger, subscribedOnly ? 'LSUB' : 'LIST', err);
        // The engine answers a failed listing with NO [TEMPFAIL].
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}

export const onList = (ctx: ImapContext) => hook(ctx, false);
export const onLsub = (ctx: ImapContext) => hook(ctx, true);

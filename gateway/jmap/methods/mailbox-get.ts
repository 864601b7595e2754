// Mailbox/get (RFC 8621 §2.1). IMAP's "/"-separated names become a tree: a mailbox whose
// parent path exists gets it as parentId and its last level as name. Roles are RFC 8621's
// (inbox, sent, drafts, trash, junk, archive); the Screener has no registered role, so it is
// `role: null` with its name "Screener" (an LNMP role property belongs to the postage capability).
import { z } from 'zod';
import type { MailboxInfo } from '../../../services/mailbox-service.js';
import { HIERARCHY_SEPARATOR, MAILBOX_ROLES, type MailboxRole } from '../../../services/mailbox-names.js';
import { MAIL } from '../capabilities.js';
import { keywordOf } from '../keywords.js';
import { mailboxIdOf } from '../ids.js';
import { defineMethod } from '../method.js';
import { currentModseq, type MethodContext } from '../context.js';
import { stateOf } from '../state.js';
import { AccountId, checkGetSize, Id, propertiesOf } from './args.js';

const PROPERTIES = ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed'];
const KNOWN = new Set(PROPERTIES);

/** Roles JMAP clients know (IANA "JMAP Mailbox Roles"); ours that are not there map to null. */
export const JMAP_ROLES: ReadonlySet<MailboxRole> = new Set(['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive']);

const Args = z.strictObject({
  accountId: AccountId,
  ids: z.array(Id).nullish(),
  properties: z.array(z.string()).nullish(),
});

export const mailboxGet = defineMethod('Mailbox/get', MAIL, Args, async (args, ctx) => {
  checkGetSize(args.ids);
  const properties = propertiesOf(args.properties, KNOWN, PROPERTIES);
  const state = stateOf(await currentModseq(ctx));
  const all = await ctx.mailboxes.list(ctx.account);
  const byName = new Map(all.map((m) => [m.name, m]));
  const wanted = args.ids ? args.ids : all.map((m) => mailboxIdOf(m.id));
  const byId = new Map(all.map((m) => [mailboxIdOf(m.id), m]));
  const needThreads = properties.has('totalThreads') || properties.has('unreadThreads');
  const list: Array<Record<string, unknown>> = [];
  const notFound: string[] = [];
  for (const id of [...new Set(wanted)]) {
    const mb = byId.get(id);
    if (!mb) {
      notFound.push(id);
      continue;
    }
    const full: Record<string, unknown> = { id, ...tree(mb, byName), role: roleOf(mb.role), sortOrder: sortOrderOf(mb.role), totalEmails: mb.messages, unreadEmails: mb.unseen };
    if (needThreads) Object.assign(full, await threadCounts(ctx, mb.id));
    full['myRights'] = rightsOf(mb.role);
    full['isSubscribed'] = mb.subscribed;
    list.push(Object.fromEntries(PROPERTIES.filter((p) => properties.has(p)).map((p) => [p, full[p]])));
  }
  return { accountId: ctx.accountId, state, list, notFound };
});

export function tree(mb: MailboxInfo, byName: ReadonlyMap<string, MailboxInfo>): { name: string; parentId: string | null } {
  const cut = mb.name.lastIndexOf(HIERARCHY_SEPARATOR);
  const parent = cut > 0 ? byName.get(mb.name.slice(0, cut)) : undefined;
  return parent ? { name: mb.name.slice(cut + 1), parentId: mailboxIdOf(parent.id) } : { name: mb.name, parentId: null };
}

export function roleOf(role: MailboxRole | null): string | null {
  return role !== null && JMAP_ROLES.has(role) ? role : null;
}

/** Mailboxes with a role first, in the order they are created for every user; the rest after, by name. */
export function sortOrderOf(role: MailboxRole | null): number {
  return role === null ? 100 : MAILBOX_ROLES.indexOf(role) + 1;
}

export function rightsOf(role: MailboxRole | null): Record<string, boolean> {
  return {
    mayReadItems: true,
    mayAddItems: true,
    mayRemoveItems: true,
    maySetSeen: true,
    maySetKeywords: true,
    mayCreateChild: true,
    mayRename: role !== 'inbox',
    mayDelete: role === null,
    maySubmit: true,
  };
}

async function threadCounts(ctx: MethodContext, mailboxId: number): Promise<{ totalThreads: number; unreadThreads: number }> {
  const messages = await ctx.messages.list(ctx.account, mailboxId);
  const threads = new Set<number>();
  const unread = new Set<number>();
  for (const m of messages) {
    threads.add(m.threadId);
    if (!m.flags.some((f) => keywordOf(f) === '$seen')) unread.add(m.threadId);
  }
  return { totalThreads: threads.size, unreadThreads: unread.size };
}

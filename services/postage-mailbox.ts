// The mailbox side of a recipient's decision on a postage case (PostageService.decideCase):
// the change the user could make over IMAP, made through MessageService so IMAP IDLE, JMAP
// /changes and push see it, and so the hold flow's rules (postage-verdict.ts) read the
// mailbox as agreeing with the decision when they look at the case again.
import type { Queryable } from '../storage/db.js';
import type { MailboxRole } from './mailbox-names.js';
import type { EmailRow, MessageService } from './message-service.js';
import type { UnlockedAccount } from './unlocked-account.js';

/** read: \Seen on every copy; inbox: the Screener's copies to the INBOX; trash: every copy not in the Trash to the Trash. */
export type MailboxStep = 'seen' | 'inbox' | 'trash';

export type DecisionMessages = Pick<MessageService, 'emailRows' | 'store' | 'copy'>;

/** Applies `step` to the user's copies of one stored message (none: nothing to do). */
export async function applyMailboxStep(db: Queryable, messages: DecisionMessages, account: UnlockedAccount, blobId: number, step: MailboxStep): Promise<void> {
  const rows = await messages.emailRows(account, { blobIds: [blobId] });
  if (rows.length === 0) return;
  if (step === 'seen') {
    for (const [mailboxId, uids] of byMailbox(rows)) await messages.store(account, mailboxId, uids, 'add', ['\\Seen']);
    return;
  }
  const roles = await roleMailboxes(db, account.userId);
  const from = step === 'inbox' ? rows.filter((r) => r.mailboxId === roles.get('screener')) : rows.filter((r) => r.mailboxId !== roles.get('trash'));
  const to = roles.get(step);
  if (to === undefined) return;
  for (const [mailboxId, uids] of byMailbox(from)) await messages.copy(account, mailboxId, uids, to, { move: true });
}

function byMailbox(rows: readonly EmailRow[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const r of rows) groups.set(r.mailboxId, [...(groups.get(r.mailboxId) ?? []), r.uid]);
  return groups;
}

async function roleMailboxes(db: Queryable, userId: number): Promise<Map<MailboxRole, number>> {
  const rows = await db.query<{ id: number | string; role: MailboxRole }>("SELECT id, role FROM mailboxes WHERE user_id = $1 AND role IN ('screener', 'inbox', 'trash')", [userId]);
  return new Map(rows.map((r) => [r.role, Number(r.id)]));
}

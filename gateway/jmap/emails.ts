// Message rows grouped into JMAP Emails: one Email per blob, in every mailbox holding a row of
// it. Copies share size, date and thread; their flags are kept equal by Email/set, and where
// IMAP made them differ the most recently changed row speaks for the Email.
import type { EmailRow } from '../../services/message-service.js';
import type { MethodContext } from './context.js';

export interface EmailView {
  readonly blobId: number;
  /** Every row, by mailbox and UID. */
  readonly rows: readonly EmailRow[];
  /** The most recently changed row: its flags are the Email's keywords. */
  readonly latest: EmailRow;
  readonly mailboxIds: readonly number[];
}

/** Rows (ordered by blob, as emailRows returns them or not) as Emails by blob id. */
export function groupEmails(rows: readonly EmailRow[]): Map<number, EmailView> {
  const byBlob = new Map<number, EmailRow[]>();
  for (const r of rows) {
    const list = byBlob.get(r.blobId);
    if (list) list.push(r);
    else byBlob.set(r.blobId, [r]);
  }
  const emails = new Map<number, EmailView>();
  for (const [blobId, list] of byBlob) {
    list.sort((a, b) => a.mailboxId - b.mailboxId || a.uid - b.uid);
    const latest = list.reduce((a, b) => (b.modseq > a.modseq ? b : a));
    emails.set(blobId, { blobId, rows: list, latest, mailboxIds: [...new Set(list.map((r) => r.mailboxId))] });
  }
  return emails;
}

/** The Emails of some blobs (absent ones are not in the map). */
export async function emailsOf(ctx: MethodContext, blobIds: readonly number[]): Promise<Map<number, EmailView>> {
  return blobIds.length === 0 ? new Map() : groupEmails(await ctx.messages.emailRows(ctx.account, { blobIds }));
}

/** Sorts Emails by receivedAt (ascending or not), ties by blob id: the order of Email/query and Thread/get. */
export function byReceivedAt(ascending: boolean): (a: EmailView, b: EmailView) => number {
  const dir = ascending ? 1 : -1;
  return (a, b) => dir * (a.latest.internalDate.getTime() - b.latest.internalDate.getTime() || a.blobId - b.blobId);
}

// What every JMAP method gets: the services, the logged-in account and its JMAP id.
import type { MailboxService } from '../../services/mailbox-service.js';
import type { MessageService } from '../../services/message-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';

export interface JmapServices {
  readonly mailboxes: Pick<MailboxService, 'list'>;
  readonly messages: Pick<
    MessageService,
    'list' | 'changesSince' | 'store' | 'copy' | 'emailRows' | 'readBlob' | 'emailChangesSince' | 'removeBlobs'
  >;
}

export interface MethodContext extends JmapServices {
  readonly account: UnlockedAccount;
  readonly accountId: string;
}

/** The account's current modseq (its state): changesSince with nothing newer to report. */
export async function currentModseq(ctx: MethodContext): Promise<number> {
  return (await ctx.messages.changesSince(ctx.account, Number.MAX_SAFE_INTEGER)).modseq;
}

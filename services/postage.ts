// Where a message to a user goes: the postage decision, asked by every front-end through
// this interface. PostageService (postage-service.ts) is the gate the gateway runs: friends
// reach the INBOX free, everyone else the Screener with an invoice when eligible.
// `contactsGate` is the rule without payments, for parts tested without a Lightning backend.
import type { ContactService } from './contact-service.js';
import type { MailboxRole } from './mailbox-names.js';
import type { MessageMeta } from './message-service.js';

export interface DeliveryRequest {
  readonly userId: number;
  /** The sender's address as the user sees it (the From header), if there is one. */
  readonly from: string | undefined;
  /**
   * Whether `from` is proven: DMARC pass, or SPF/DKIM pass aligned with the From domain,
   * or an authenticated sender of this gateway. An unproven From is never trusted as a contact.
   */
  readonly fromAuthenticated: boolean;
}

export interface DeliveryDecision {
  readonly role: Extract<MailboxRole, 'inbox' | 'screener'>;
  /** Why, for the log: `contact:<class>`, `stranger`, `unauthenticated`, `no-sender`. */
  readonly reason: string;
  /** Screener only: the postage this sender is asked for, when they may be asked at all. */
  readonly postage?: { readonly amountSats: number; readonly priority: boolean; readonly autoReply: boolean };
}

/** A message the gate sent to the Screener, as stored. */
export interface ScreenedDelivery extends DeliveryRequest {
  readonly decision: DeliveryDecision;
  readonly message: MessageMeta;
  /** The message as stored (trace headers included). */
  readonly raw: Uint8Array;
  /** The SMTP envelope sender ('' for a null sender); undefined when the mail did not come from the Internet. */
  readonly envelopeFrom: string | undefined;
}

export interface PostageGate {
  decide(request: DeliveryRequest): Promise<DeliveryDecision>;
  /** After a Screener delivery committed: opens its postage case (invoice, auto-reply). Never throws. */
  screened?(delivery: ScreenedDelivery): Promise<unknown>;
}

/** The rule before payments: a proven friend or acquaintance → INBOX, else the Screener. */
export function contactsGate(contacts: Pick<ContactService, 'classify'>): PostageGate {
  return {
    async decide({ userId, from, fromAuthenticated }) {
      if (from === undefined || from === '') return { role: 'screener', reason: 'no-sender' };
      if (!fromAuthenticated) return { role: 'screener', reason: 'unauthenticated' };
      const cls = await contacts.classify(userId, from);
      if (cls === 'friend' || cls === 'acquaintance') return { role: 'inbox', reason: `contact:${cls}` };
      return { role: 'screener', reason: cls === 'blocked' ? 'contact:blocked' : 'stranger' };
    },
  };
}

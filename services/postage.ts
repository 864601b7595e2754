// Where a message to a user goes: the postage decision. For now it is the contacts rule
// (friends and acquaintances reach the INBOX, everyone else the Screener); invoices, paid
// delivery and refunds extend this interface, and every front-end already asks through it.
import type { ContactService } from './contact-service.js';
import type { MailboxRole } from './mailbox-names.js';

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
}

export interface PostageGate {
  decide(request: DeliveryRequest): Promise<DeliveryDecision>;
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

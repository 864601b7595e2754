// LNMP envelopes for users of this gateway, as its relay receives them (relay DeliverHook).
// Each recipient here gets the envelope once (lnmp_received), stored as it arrived, sealed to
// the user's key (seal 4; the MIME view is made at unlock, converters/lnmp-mail.ts). Where it
// goes is the postage decision on the signing key: a friend's or a free message to the INBOX;
// a stranger's to the Screener with a hold invoice bound to the envelope, which goes back to
// the sender through the relay (INVOICE before the OK); once paid the message moves to the
// INBOX and the reader's actions settle or refund it, as for mail from the Internet.
import { payloadDigest, type VerifiedMessage } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { keyContact } from './contact-service.js';
import { receivedBlobBytes } from './message-crypto.js';
import type { MessageMeta, MessageService } from './message-service.js';
import type { PostageService, PreparedInvoice } from './postage-service.js';

/** What goes back to the sender for one recipient holding the envelope until paid. */
export interface HeldInvoice {
  readonly bolt11: string;
  readonly amount: number;
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly url: string;
}

export interface LnmpInboundDeps {
  readonly db: Db;
  readonly messages: Pick<MessageService, 'deliverInto'>;
  readonly postage: Pick<PostageService, 'decide' | 'screened' | 'prepareLnmpInvoice' | 'withdrawPrepared' | 'openLnmpCase'>;
  /** Our host name: the authserv-id of the Authentication-Results the MIME view carries. */
  readonly authservId: string;
  readonly now?: () => number;
}

export class LnmpInbound {
  readonly #d: LnmpInboundDeps;
  readonly #now: () => number;

  constructor(deps: LnmpInboundDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Delivers to every recipient of the envelope hosted here; the invoices of those who hold it. */
  async receive(envelope: VerifiedMessage): Promise<HeldInvoice[]> {
    const users = await this.#d.db.query<{ id: number; public_key: string }>("SELECT id, public_key FROM users WHERE public_key = ANY($1::text[]) AND status = 'active' ORDER BY id", [envelope.to]);
    const invoices: HeldInvoice[] = [];
    for (const user of users) {
      const invoice = await this.#receiveFor(user.id, user.public_key, envelope);
      if (invoice) invoices.push(invoice);
    }
    return invoices;
  }

  async #receiveFor(userId: number, userKey: string, envelope: VerifiedMessage): Promise<HeldInvoice | undefined> {
    const [seen] = await this.#d.db.query('SELECT 1 FROM lnmp_received WHERE user_id = $1 AND envelope_id = $2', [userId, envelope.id]);
    if (seen) return undefined;
    const sender = keyContact(envelope.from);
    const decision = await this.#d.postage.decide({ userId, from: sender, fromAuthenticated: true });
    const price = decision.role === 'screener' ? decision.postage : undefined;
    const prepared = price ? await this.#d.postage.prepareLnmpInvoice({ from: envelope.from, to: userKey, ref: payloadDigest(envelope.encrypted) }, price.amountSats) : undefined;
    const message = await this.#d.messages.deliverInto(
      { userId, target: { role: decision.role }, raw: receivedBlobBytes({ authservId: this.#d.authservId, envelope }), envelope: { received: true }, internalDate: new Date(this.#now()) },
      (tx) => this.#claim(tx, userId, envelope.id),
    );
    if (!message) {
      if (prepared) await this.#d.postage.withdrawPrepared(prepared);
      return undefined;
    }
    if (decision.role !== 'screener') return undefined;
    if (!prepared) {
      await this.#d.postage.screened({ userId, from: sender, fromAuthenticated: true, decision, message, raw: new Uint8Array(), envelopeFrom: undefined });
      return undefined;
    }
    return this.#held(userId, message, sender, prepared, price!.priority);
  }

  async #held(userId: number, message: MessageMeta, sender: string, prepared: PreparedInvoice, priority: boolean): Promise<HeldInvoice> {
    const url = await this.#d.postage.openLnmpCase({ userId, message, sender, prepared, priority });
    return { bolt11: prepared.bolt11, amount: prepared.amountSats, expiresAt: Math.floor(prepared.expiresAt / 1000), url };
  }

  async #claim(tx: Queryable, userId: number, envelopeId: string): Promise<boolean> {
    const rows = await tx.query('INSERT INTO lnmp_received (user_id, envelope_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id', [userId, envelopeId, new Date(this.#now())]);
    return rows.length > 0;
  }
}

// Mail a user submits to an LNMP identity (an address with a checksum, or an address whose
// domain's LNMP document names the user): looked up (services/lnmp-directory.ts), then one
// envelope per recipient, signed with the sender's own key and sealed to the recipient and
// the sender, whose MIME names the sender's LNMP address in From (converters/lnmp-mail.ts).
// The envelopes go to the relay outbox in the caller's transaction; nothing goes over SMTP.
import { createMessage, type Rng, type VerifiedMessage } from '../core/index.js';
import { mimeToContent } from '../converters/index.js';
import { withFromAddress } from '../converters/lnmp-mail.js';
import type { Queryable } from '../storage/db.js';
import type { LnmpDirectory, ResolvedIdentity } from './lnmp-directory.js';
import type { UnlockedAccount } from './unlocked-account.js';

export interface LnmpOutboundDeps {
  readonly directory: Pick<LnmpDirectory, 'resolve'>;
  /** Queues an envelope for its relays inside the caller's transaction (relay/outbox.ts). */
  readonly enqueue: (q: Queryable, envelope: VerifiedMessage, relays: readonly string[]) => Promise<unknown>;
  /** Called after envelopes were queued and committed (wakes the outbox). */
  readonly onQueued?: () => void;
  /** Where replies reach this gateway's users: the relays named in their envelopes. */
  readonly ownRelays: () => readonly string[];
  readonly rng: Rng;
  readonly now?: () => number;
}

export interface PreparedEnvelope {
  readonly envelope: VerifiedMessage;
  readonly relays: readonly string[];
}

export class LnmpOutbound {
  readonly #d: LnmpOutboundDeps;

  constructor(deps: LnmpOutboundDeps) {
    this.#d = deps;
  }

  /** The recipient's key and relays; throws `user_not_found`, `invalid_address` or `lnmp_unreachable`. */
  resolve(address: string): Promise<ResolvedIdentity> {
    return this.#d.directory.resolve(address);
  }

  /** Signs and seals one envelope per recipient (CPU only; nothing is stored). */
  async prepare(account: Pick<UnlockedAccount, 'privateKey' | 'lnmpAddress'>, raw: Uint8Array, recipients: readonly ResolvedIdentity[]): Promise<PreparedEnvelope[]> {
    if (recipients.length === 0) return [];
    const content = await mimeToContent(withFromAddress(raw, account.lnmpAddress));
    const timestamp = Math.floor((this.#d.now ?? Date.now)() / 1000);
    const relays = [...this.#d.ownRelays()];
    return recipients.map((r) => ({ envelope: createMessage({ privateKey: account.privateKey, to: [r.publicKey], content, timestamp, relays }, this.#d.rng), relays: r.relays }));
  }

  async enqueue(q: Queryable, prepared: readonly PreparedEnvelope[]): Promise<void> {
    for (const p of prepared) await this.#d.enqueue(q, p.envelope, p.relays);
  }

  queued(): void {
    this.#d.onQueued?.();
  }
}

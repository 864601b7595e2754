// Mail for users of this gateway becomes LNMP: the MIME is converted to MessageContent with
// the original bytes inside, then, per recipient, put in an envelope and sealed to that
// recipient. Mail from the legacy Internet (the MX) is signed by the gateway's own identity,
// its attestation of how the message arrived (the Received and Authentication-Results
// headers it carries); mail a local user submits is signed with that user's own key. Where
// it goes (INBOX or Screener) is the postage gate's decision.
import { createMessage, type Identity, type Rng } from '../core/index.js';
import { mimeToContent } from '../converters/index.js';
import type { MessageMeta, MessageService } from './message-service.js';
import type { DeliveryDecision, PostageGate } from './postage.js';
import type { VacationService } from './vacation-service.js';

export interface InboundMessage {
  /** The message as stored: trace headers first, then the bytes received, unchanged. */
  readonly raw: Uint8Array;
  readonly userIds: readonly number[];
  /** The From address, if any (for the postage decision). */
  readonly from: string | undefined;
  readonly fromAuthenticated: boolean;
  /** Who signs the envelopes; the gateway's identity when absent. */
  readonly signer?: Pick<Identity, 'privateKey'>;
  /** The SMTP envelope sender of mail from the Internet ('' for a null sender): where a postage auto-reply may go. */
  readonly envelopeFrom?: string;
}

export type InboundOutcome =
  | { readonly userId: number; readonly ok: true; readonly decision: DeliveryDecision; readonly message: MessageMeta }
  | { readonly userId: number; readonly ok: false; readonly error: unknown };

export class InboundMail {
  readonly #messages: Pick<MessageService, 'deliver'>;
  readonly #gate: PostageGate;
  readonly #gateway: Identity;
  readonly #rng: Rng;
  readonly #now: () => number;
  readonly #vacation: Pick<VacationService, 'arrived'> | undefined;

  constructor(deps: {
    messages: Pick<MessageService, 'deliver'>;
    gate: PostageGate;
    gateway: Identity;
    rng: Rng;
    now?: () => number;
    /** Answers INBOX deliveries from the Internet while the user's vacation response is on. */
    vacation?: Pick<VacationService, 'arrived'>;
  }) {
    this.#messages = deps.messages;
    this.#gate = deps.gate;
    this.#gateway = deps.gateway;
    this.#rng = deps.rng;
    this.#now = deps.now ?? Date.now;
    this.#vacation = deps.vacation;
  }

  /** Delivers to every recipient; one outcome per recipient, in order. Never throws for one recipient's failure. */
  async deliver(msg: InboundMessage): Promise<InboundOutcome[]> {
    const content = await mimeToContent(msg.raw);
    const timestamp = Math.floor(this.#now() / 1000);
    const privateKey = (msg.signer ?? this.#gateway).privateKey;
    return Promise.all(
      msg.userIds.map(async (userId): Promise<InboundOutcome> => {
        try {
          const decision = await this.#gate.decide({ userId, from: msg.from, fromAuthenticated: msg.fromAuthenticated });
          const message = await this.#messages.deliver({
            userId,
            role: decision.role,
            raw: msg.raw,
            // One envelope per recipient: a shared one would show each recipient the others' keys (Bcc).
            envelope: (publicKey) => createMessage({ privateKey, to: [publicKey], content, timestamp }, this.#rng),
          });
          if (decision.role === 'screener' && this.#gate.screened) {
            await this.#gate.screened({ userId, from: msg.from, fromAuthenticated: msg.fromAuthenticated, decision, message, raw: msg.raw, envelopeFrom: msg.envelopeFrom });
          }
          if (decision.role === 'inbox' && msg.envelopeFrom !== undefined && this.#vacation) {
            await this.#vacation.arrived({ userId, raw: msg.raw, envelopeFrom: msg.envelopeFrom, fromAuthenticated: msg.fromAuthenticated });
          }
          return { userId, ok: true, decision, message };
        } catch (error) {
          return { userId, ok: false, error };
        }
      }),
    );
  }
}

// Postage for LNMP-native mail (the relay path): a stranger's envelope to a user of this
// gateway is answered with a hold invoice bound to (sender key, recipient key, the envelope's
// payload digest) — the binding of core/payment.ts, written into the invoice description —
// and the envelope is accepted once that invoice is paid (held or settled at our node). A
// payment counts for one message once: the first accepted proof marks it used, so a replay
// of the same payment, or the same payment offered for another message, is refused.
import { paymentHashOf, postageDescription, postageDescriptionHash, toHex, type PostageBinding, type Rng } from '../core/index.js';
import type { LightningBackend } from '../lightning/backend.js';
import type { Db } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import { boxOpen, boxSeal } from './secret-box.js';

export interface LnmpInvoice {
  readonly bolt11: string;
  readonly paymentHash: string;
  readonly amountSats: number;
  readonly expiresAt: number;
}

export type ProofVerdict =
  | { readonly ok: true; readonly paymentHash: string; readonly amountSats: number }
  | { readonly ok: false; readonly reason: 'unknown-payment' | 'wrong-binding' | 'unpaid' | 'replayed' };

export class LnmpPostage {
  readonly #db: Db;
  readonly #backend: LightningBackend;
  readonly #rng: Rng;
  readonly #expirySeconds: number;
  readonly #now: () => number;
  readonly #key: Uint8Array;

  constructor(deps: { db: Db; backend: LightningBackend; gatewaySecret: Uint8Array; rng: Rng; expirySeconds: number; now?: () => number }) {
    this.#db = deps.db;
    this.#key = gatewaySubkey(deps.gatewaySecret, 'postage');
    this.#backend = deps.backend;
    this.#rng = deps.rng;
    this.#expirySeconds = deps.expirySeconds;
    this.#now = deps.now ?? Date.now;
  }

  /** A hold invoice for one message from `binding.from` to user `userId` (key `binding.to`). */
  async invoice(userId: number, binding: PostageBinding, amountSats: number): Promise<LnmpInvoice> {
    const description = postageDescription(binding);
    const preimage = this.#rng(32);
    const paymentHash = paymentHashOf(preimage);
    const created = await this.#backend.createHoldInvoice({ paymentHash, amountSats, description, expirySeconds: this.#expirySeconds });
    await this.#db.query(
      'INSERT INTO lnmp_postage (payment_hash, user_id, binding_hash, amount_sats, preimage, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [paymentHash, userId, postageDescriptionHash(binding), amountSats, boxSeal(this.#key, preimage, `lnmp-postage/${paymentHash}`, this.#rng), new Date(this.#now())],
    );
    return { bolt11: created.bolt11, paymentHash, amountSats, expiresAt: created.expiresAt };
  }

  /**
   * The sender's claim that `paymentHash` paid for the message `binding` describes. Accepted
   * once, when the invoice was issued for exactly this binding and the node holds (or has
   * settled) the payment; the payment is then used up.
   */
  async accept(binding: PostageBinding, paymentHash: string): Promise<ProofVerdict> {
    if (!/^[0-9a-f]{64}$/.test(paymentHash)) throw new ServiceError('invalid_argument', 'paymentHash must be 64 lowercase hex characters');
    const [row] = await this.#db.query<{ binding_hash: string; amount_sats: number | string; used_at: Date | null }>(
      'SELECT binding_hash, amount_sats, used_at FROM lnmp_postage WHERE payment_hash = $1',
      [paymentHash],
    );
    if (!row) return { ok: false, reason: 'unknown-payment' };
    if (row.binding_hash !== postageDescriptionHash(binding)) return { ok: false, reason: 'wrong-binding' };
    if (row.used_at !== null) return { ok: false, reason: 'replayed' };
    const status = await this.#backend.lookup(paymentHash);
    if (status.state !== 'held' && status.state !== 'settled') return { ok: false, reason: 'unpaid' };
    // Two deliveries of the same proof at once: one UPDATE wins.
    const used = await this.#db.query('UPDATE lnmp_postage SET used_at = $2 WHERE payment_hash = $1 AND used_at IS NULL RETURNING payment_hash', [paymentHash, new Date(this.#now())]);
    if (used.length === 0) return { ok: false, reason: 'replayed' };
    return { ok: true, paymentHash, amountSats: Number(row.amount_sats) };
  }

  /** The recipient kept the message: the held payment is taken. */
  async settle(paymentHash: string): Promise<void> {
    const [row] = await this.#db.query<{ preimage: Uint8Array }>('SELECT preimage FROM lnmp_postage WHERE payment_hash = $1', [paymentHash]);
    if (!row) throw new ServiceError('postage_not_found');
    await this.#backend.settle(toHex(boxOpen(this.#key, row.preimage, `lnmp-postage/${paymentHash}`)));
  }
}


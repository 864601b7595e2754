// Postage proofs. A Lightning preimage proves payment of the invoice whose payment hash is
// sha256(preimage). The postage invoice's description hash commits to (sender, recipient,
// message reference), so a preimage pays for one message to one recipient only; the payment
// hash is the key a receiver records to reject replays.
import { LnmpError } from './errors.js';
import { equalBytes, fromHex, toHex, utf8 } from './bytes.js';
import { sha256 } from './hash.js';
import { canonicalize } from './jcs.js';
import type { SealedPayload } from './seal.js';
import type { VerifiedMessage } from './envelope.js';

export const POSTAGE_PREFIX = 'lnmp-postage:1';

/** sha256(preimage) === paymentHash. Throws on malformed hex, returns false on mismatch. */
export function verifyPreimage(preimageHex: string, paymentHashHex: string): boolean {
  const preimage = fromHex(preimageHex, 32, 'preimage');
  const hash = fromHex(paymentHashHex, 32, 'payment hash');
  return equalBytes(sha256(preimage), hash);
}

export function paymentHashOf(preimage: Uint8Array): string {
  if (preimage.length !== 32) throw new LnmpError('invalid_length', 'preimage must be 32 bytes');
  return toHex(sha256(preimage));
}

/** Digest of an envelope's encrypted payload: fixed before the sender pays, so it can be invoiced. */
export function payloadDigest(encrypted: SealedPayload): string {
  return toHex(sha256(utf8(canonicalize(encrypted))));
}

export interface PostageBinding {
  /** Sender: an x-only public key or, for legacy mail, the envelope sender address. */
  from: string;
  /** Recipient: x-only public key or address. */
  to: string;
  /** The message: a payloadDigest for LNMP envelopes, or the gateway's message reference for mail. */
  ref: string;
}

/** The description that a postage invoice commits to with its `h` (description hash) field. */
export function postageDescription(b: PostageBinding): string {
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 512 || /\s/.test(v)) {
      throw new LnmpError('invalid_payment', `postage binding ${k} must be 1-512 characters without white space`);
    }
  }
  return `${POSTAGE_PREFIX}:${canonicalize({ from: b.from, ref: b.ref, to: b.to })}`;
}

export function postageDescriptionHash(b: PostageBinding): string {
  return toHex(sha256(utf8(postageDescription(b))));
}

export interface InvoiceFacts {
  /** BOLT11 `p` field. */
  paymentHash: string;
  /** BOLT11 `h` field. */
  descriptionHash: string;
  /** Amount the invoice asked for, in satoshis. */
  amountSats: number;
}

/**
 * Checks the payment of a verified envelope against the invoice it claims to pay.
 * Returns the payment hash to record (replay key); throws invalid_payment otherwise.
 */
export function verifyPostage(msg: VerifiedMessage, invoice: InvoiceFacts): string {
  const payment = msg.payment;
  if (!payment) throw new LnmpError('invalid_payment', 'envelope carries no payment');
  if (!verifyPreimage(payment.preimage, invoice.paymentHash)) throw new LnmpError('invalid_payment', 'preimage does not match the payment hash');
  const expected = postageDescriptionHash({ from: msg.from, to: msg.to[0]!, ref: payloadDigest(msg.encrypted) });
  if (expected !== invoice.descriptionHash.toLowerCase()) {
    throw new LnmpError('invalid_payment', 'invoice is not bound to this sender, recipient and message');
  }
  if (payment.amount < invoice.amountSats) throw new LnmpError('invalid_payment', `paid ${payment.amount} sat, invoice asks ${invoice.amountSats}`);
  return invoice.paymentHash.toLowerCase();
}

// The argument checks of LightningBackend calls, with the exact `invalid_argument` messages
// (the same as the dev backend's), for backends that hand the values to a node.
import type { HoldInvoiceRequest, InvoiceRequest, PayOptions } from './backend.js';
import { LightningError } from './errors.js';
import { DEFAULT_HOLD_CLTV_DELTA, MAX_AMOUNT_SATS, MAX_CLTV_DELTA, MAX_DESCRIPTION_BYTES, MIN_CLTV_DELTA } from './limits.js';

const HEX32 = /^[0-9a-f]{64}$/;

function invalid(detail: string): LightningError {
  return new LightningError('invalid_argument', detail);
}

export function checkHash(paymentHash: unknown): asserts paymentHash is string {
  if (typeof paymentHash !== 'string' || !HEX32.test(paymentHash)) throw invalid('paymentHash must be 64 lowercase hex characters');
}

export function checkPreimage(preimage: unknown): asserts preimage is string {
  if (typeof preimage !== 'string' || !HEX32.test(preimage)) throw invalid('preimage must be 64 lowercase hex characters');
}

export function checkInvoiceRequest(request: InvoiceRequest, maxExpirySeconds: number): void {
  const { amountSats, description, expirySeconds } = request;
  if (!Number.isSafeInteger(amountSats) || amountSats < 1 || amountSats > MAX_AMOUNT_SATS) {
    throw invalid(`amountSats must be a whole number 1-${MAX_AMOUNT_SATS}`);
  }
  if (typeof description !== 'string' || Buffer.byteLength(description, 'utf8') > MAX_DESCRIPTION_BYTES) {
    throw invalid(`description must be a string of at most ${MAX_DESCRIPTION_BYTES} bytes`);
  }
  if (!Number.isInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > maxExpirySeconds) {
    throw invalid(`expirySeconds must be an integer 1-${maxExpirySeconds}`);
  }
}

/** Checks the request; returns its CLTV delta (the default when absent). */
export function checkHoldRequest(request: HoldInvoiceRequest, maxExpirySeconds: number): number {
  checkHash(request.paymentHash);
  const cltvDelta = request.cltvDelta ?? DEFAULT_HOLD_CLTV_DELTA;
  if (!Number.isInteger(cltvDelta) || cltvDelta < MIN_CLTV_DELTA || cltvDelta > MAX_CLTV_DELTA) {
    throw invalid(`cltvDelta must be an integer ${MIN_CLTV_DELTA}-${MAX_CLTV_DELTA}`);
  }
  checkInvoiceRequest(request, maxExpirySeconds);
  return cltvDelta;
}

export function checkPayOptions(options: PayOptions): void {
  if (!Number.isSafeInteger(options.maxFeeSats) || options.maxFeeSats < 0) throw invalid('maxFeeSats must be a whole number ≥ 0');
}

// The fake LND's SendPaymentV2: it pays only its own invoices (a self-payment over one fake
// channel) and streams lnrpc.Payment updates as LND does: IN_FLIGHT with the HTLC, then
// SUCCEEDED with the preimage once the invoice settles, or FAILED with a failure_reason.
import type * as grpc from '@grpc/grpc-js';
import { invoicesLib } from '../../lightning/invoices-lib.js';
import { FAKE_CHANNEL_ID, RpcError, Status, type FakeInvoice, type InvoiceBook } from './invoice-book.js';

type Outcome = 'IN_FLIGHT' | 'SUCCEEDED' | 'FAILED';
type FailureReason = 'FAILURE_REASON_NONE' | 'FAILURE_REASON_NO_ROUTE' | 'FAILURE_REASON_INCORRECT_PAYMENT_DETAILS';

let paymentIndex = 0;

function ns(ms: number): string {
  return (BigInt(ms) * 1_000_000n).toString();
}

function payment(
  hash: string,
  request: string,
  valueMsat: bigint,
  started: number,
  status: Outcome,
  invoice?: FakeInvoice,
  failure: FailureReason = 'FAILURE_REASON_NONE',
  publicKey = '',
): Record<string, unknown> {
  const preimage = status === 'SUCCEEDED' && invoice?.preimage ? invoice.preimage : '0'.repeat(64);
  const htlc = invoice?.htlcs[invoice.htlcs.length - 1];
  const attempts = htlc
    ? [
        {
          attempt_id: String(htlc.htlcIndex),
          status,
          route: {
            total_time_lock: htlc.expiryHeight,
            total_fees_msat: '0',
            total_amt_msat: valueMsat.toString(),
            hops: [
              {
                chan_id: FAKE_CHANNEL_ID,
                chan_capacity: '1000000',
                expiry: htlc.expiryHeight,
                amt_to_forward_msat: valueMsat.toString(),
                fee_msat: '0',
                pub_key: publicKey,
                tlv_payload: true,
                mpp_record: { payment_addr: invoice?.paymentAddr, total_amt_msat: valueMsat.toString() },
              },
            ],
          },
          attempt_time_ns: ns(started),
          resolve_time_ns: status === 'IN_FLIGHT' ? '0' : ns(Date.now()),
          preimage: Buffer.from(preimage, 'hex'),
        },
      ]
    : [];
  return {
    payment_hash: hash,
    payment_preimage: preimage,
    value_sat: (valueMsat / 1000n).toString(),
    value_msat: valueMsat.toString(),
    payment_request: request,
    status,
    fee_sat: '0',
    fee_msat: '0',
    creation_time_ns: ns(started),
    htlcs: attempts,
    payment_index: String(++paymentIndex),
    failure_reason: failure,
  };
}

export function sendPayment(
  book: InvoiceBook,
  request: string,
  call: grpc.ServerWritableStream<unknown, unknown>,
  onClose: (cleanup: () => void) => void,
): void {
  let parsed;
  try {
    parsed = invoicesLib.parsePaymentRequest({ request });
  } catch {
    throw new RpcError(Status.INVALID_ARGUMENT, 'invalid payment request');
  }
  const hash = parsed.id;
  const valueMsat = BigInt(parsed.mtokens);
  const started = Date.now();
  const fail = (reason: FailureReason, invoice?: FakeInvoice): void => {
    call.write(payment(hash, request, valueMsat, started, 'FAILED', invoice, reason, book.publicKey));
    call.end();
  };
  const invoice = parsed.destination === book.publicKey ? book.find(hash) : undefined;
  if (parsed.destination !== book.publicKey) return fail('FAILURE_REASON_NO_ROUTE');
  if (!invoice || invoice.state === 'CANCELED') return fail('FAILURE_REASON_INCORRECT_PAYMENT_DETAILS');
  if (invoice.state !== 'OPEN') throw new RpcError(Status.ALREADY_EXISTS, 'invoice is already paid');

  book.pay(hash);
  const report = (): boolean => {
    if (invoice.state === 'SETTLED') {
      call.write(payment(hash, request, valueMsat, started, 'SUCCEEDED', invoice, 'FAILURE_REASON_NONE', book.publicKey));
      call.end();
      return true;
    }
    if (invoice.state === 'CANCELED') {
      fail('FAILURE_REASON_INCORRECT_PAYMENT_DETAILS', invoice);
      return true;
    }
    return false;
  };
  call.write(payment(hash, request, valueMsat, started, 'IN_FLIGHT', invoice, 'FAILURE_REASON_NONE', book.publicKey));
  if (report()) return;
  const onUpdate = (changed: string): void => {
    if (changed === hash && report()) book.off('update', onUpdate);
  };
  book.on('update', onUpdate);
  onClose(() => book.off('update', onUpdate));
}

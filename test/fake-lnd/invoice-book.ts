// The fake LND's invoices, in memory: what AddInvoice / AddHoldInvoice create (real BOLT11
// signed by the node key), the state machine LND's invoice registry runs (OPEN → ACCEPTED →
// SETTLED, or CANCELED), LND's error texts, and invoices in the shape of lnrpc.Invoice.
// Emits 'update' with the payment hash after every change.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { invoicesLib } from '../../lightning/invoices-lib.js';
import { DevNodeKey } from '../../lightning/node-key.js';

/** gRPC status codes the fake answers with. */
export const Status = { UNKNOWN: 2, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, UNAUTHENTICATED: 16 } as const;

/** A gRPC error status, as handlers pass it to grpc-js. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

export type InvoiceState = 'OPEN' | 'ACCEPTED' | 'SETTLED' | 'CANCELED';
type HtlcState = 'ACCEPTED' | 'SETTLED' | 'CANCELED';

export interface FakeHtlc {
  htlcIndex: number;
  amtMsat: bigint;
  acceptHeight: number;
  acceptTime: number;
  resolveTime: number;
  expiryHeight: number;
  state: HtlcState;
}

export interface FakeInvoice {
  hash: string;
  /** Undefined for a hold invoice until it is settled, as in LND. */
  preimage: string | undefined;
  hold: boolean;
  memo: string;
  valueMsat: bigint;
  /** Unix seconds. */
  creationDate: number;
  expiry: number;
  cltvExpiry: number;
  paymentAddr: Buffer;
  request: string;
  addIndex: number;
  settleIndex: number;
  settleDate: number;
  state: InvoiceState;
  htlcs: FakeHtlc[];
}

export interface NewInvoice {
  memo: string;
  valueMsat: bigint;
  expiry: number;
  cltvExpiry: number;
  /** Hold invoices: the caller's payment hash. */
  hash?: string;
  /** Normal invoices: the preimage, else a random one. */
  preimage?: string;
}

export const FAKE_CHANNEL_ID = '870446812836429825';
const DEFAULT_EXPIRY = 86_400;
const DEFAULT_CLTV = 80;
/** LND's invoice features: tlv_onion (optional), payment_addr (required), basic_mpp (optional). */
const FEATURES = [{ bit: 9 }, { bit: 14 }, { bit: 17 }];
const sha256Hex = (hex: string): string => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');

export class InvoiceBook extends EventEmitter {
  readonly #key: DevNodeKey;
  readonly #now: () => number;
  readonly #invoices = new Map<string, FakeInvoice>();
  #addIndex = 0;
  #settleIndex = 0;
  #htlcIndex = 0;
  height: number;

  constructor(nodeKey: Uint8Array, height: number, now: () => number) {
    super();
    this.#key = new DevNodeKey(nodeKey);
    this.height = height;
    this.#now = now;
  }

  get publicKey(): string {
    return this.#key.publicKey;
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  add(request: NewInvoice): FakeInvoice {
    const hold = request.hash !== undefined;
    const preimage = hold ? undefined : (request.preimage ?? randomBytes(32).toString('hex'));
    const hash = request.hash ?? sha256Hex(preimage ?? '');
    if (this.#invoices.has(hash)) throw new RpcError(Status.UNKNOWN, 'invoice with payment hash already exists');
    const creationDate = this.#seconds();
    const expiry = request.expiry || DEFAULT_EXPIRY;
    const cltvExpiry = request.cltvExpiry || DEFAULT_CLTV;
    const paymentAddr = randomBytes(32);
    const unsigned = invoicesLib.createUnsignedRequest({
      cltv_delta: cltvExpiry,
      created_at: new Date(creationDate * 1000).toISOString(),
      description: request.memo,
      destination: this.#key.publicKey,
      expires_at: new Date((creationDate + expiry) * 1000).toISOString(),
      features: FEATURES,
      id: hash,
      mtokens: request.valueMsat.toString(),
      network: 'regtest',
      payment: paymentAddr.toString('hex'),
    });
    const signature = Buffer.from(this.#key.sign(Buffer.from(unsigned.hash, 'hex'))).toString('hex');
    const { request: bolt11 } = invoicesLib.createSignedRequest({ destination: this.#key.publicKey, hrp: unsigned.hrp, signature, tags: unsigned.tags });
    const invoice: FakeInvoice = {
      hash,
      preimage,
      hold,
      memo: request.memo,
      valueMsat: request.valueMsat,
      creationDate,
      expiry,
      cltvExpiry,
      paymentAddr,
      request: bolt11,
      addIndex: ++this.#addIndex,
      settleIndex: 0,
      settleDate: 0,
      state: 'OPEN',
      htlcs: [],
    };
    this.#invoices.set(hash, invoice);
    return invoice;
  }

  /** The invoice, with an open one past its expiry canceled first (LND's expiry watcher). */
  get(hash: string): FakeInvoice {
    const invoice = this.#invoices.get(hash);
    if (!invoice) throw new RpcError(Status.NOT_FOUND, 'unable to locate invoice');
    if (invoice.state === 'OPEN' && this.#seconds() >= invoice.creationDate + invoice.expiry) this.#change(invoice, 'CANCELED');
    return invoice;
  }

  find(hash: string): FakeInvoice | undefined {
    return this.#invoices.has(hash) ? this.get(hash) : undefined;
  }

  settle(preimage: string): FakeInvoice {
    const invoice = this.#invoices.get(sha256Hex(preimage));
    if (!invoice) throw new RpcError(Status.UNKNOWN, 'unable to locate invoice');
    if (invoice.state === 'OPEN') throw new RpcError(Status.UNKNOWN, 'invoice still open');
    if (invoice.state === 'CANCELED') throw new RpcError(Status.UNKNOWN, 'invoice already canceled');
    if (invoice.state === 'SETTLED') throw new RpcError(Status.UNKNOWN, 'invoice already settled');
    invoice.preimage = preimage;
    return this.#change(invoice, 'SETTLED');
  }

  cancel(hash: string): FakeInvoice {
    const invoice = this.#invoices.get(hash);
    if (!invoice) throw new RpcError(Status.UNKNOWN, 'unable to locate invoice');
    if (invoice.state === 'SETTLED') throw new RpcError(Status.UNKNOWN, 'invoice already settled');
    if (invoice.state === 'CANCELED') return invoice; // LND: canceling twice succeeds
    return this.#change(invoice, 'CANCELED');
  }

  /** One HTLC pays the invoice in full: a hold invoice is ACCEPTED (held), a normal one SETTLED. */
  pay(hash: string): FakeInvoice {
    const invoice = this.get(hash);
    if (invoice.state !== 'OPEN') throw new Error(`fake LND: invoice ${hash} is ${invoice.state}, not OPEN`);
    invoice.htlcs.push({
      htlcIndex: this.#htlcIndex++,
      amtMsat: invoice.valueMsat,
      acceptHeight: this.height,
      acceptTime: this.#seconds(),
      resolveTime: 0,
      expiryHeight: this.height + invoice.cltvExpiry,
      state: 'ACCEPTED',
    });
    return this.#change(invoice, invoice.hold ? 'ACCEPTED' : 'SETTLED');
  }

  /** New blocks; a held HTLC at its expiry height is canceled (LND cancels before it times out). */
  mine(blocks: number): void {
    this.height += blocks;
    for (const invoice of this.#invoices.values()) {
      if (invoice.state === 'ACCEPTED' && invoice.htlcs.some((h) => h.state === 'ACCEPTED' && h.expiryHeight <= this.height)) {
        this.#change(invoice, 'CANCELED');
      }
    }
  }

  #change(invoice: FakeInvoice, state: InvoiceState): FakeInvoice {
    invoice.state = state;
    const now = this.#seconds();
    for (const htlc of invoice.htlcs) {
      if (htlc.state !== 'ACCEPTED' || state === 'ACCEPTED') continue;
      htlc.state = state === 'SETTLED' ? 'SETTLED' : 'CANCELED';
      htlc.resolveTime = now;
    }
    if (state === 'SETTLED') {
      invoice.settleIndex = ++this.#settleIndex;
      invoice.settleDate = now;
    }
    this.emit('update', invoice.hash);
    return invoice;
  }

  /** The invoice as lnrpc.Invoice (proto-loader's plain-object form, snake_case). */
  toRpc(invoice: FakeInvoice): Record<string, unknown> {
    const paid = invoice.htlcs.filter((h) => h.state !== 'CANCELED').reduce((sum, h) => sum + h.amtMsat, 0n);
    return {
      memo: invoice.memo,
      r_preimage: invoice.preimage === undefined ? Buffer.alloc(0) : Buffer.from(invoice.preimage, 'hex'),
      r_hash: Buffer.from(invoice.hash, 'hex'),
      value: (invoice.valueMsat / 1000n).toString(),
      value_msat: invoice.valueMsat.toString(),
      settled: invoice.state === 'SETTLED',
      creation_date: String(invoice.creationDate),
      settle_date: String(invoice.settleDate),
      payment_request: invoice.request,
      expiry: String(invoice.expiry),
      cltv_expiry: String(invoice.cltvExpiry),
      add_index: String(invoice.addIndex),
      settle_index: String(invoice.settleIndex),
      amt_paid_sat: (paid / 1000n).toString(),
      amt_paid_msat: paid.toString(),
      state: invoice.state,
      htlcs: invoice.htlcs.map((h) => ({
        chan_id: FAKE_CHANNEL_ID,
        htlc_index: String(h.htlcIndex),
        amt_msat: h.amtMsat.toString(),
        accept_height: h.acceptHeight,
        accept_time: String(h.acceptTime),
        resolve_time: String(h.resolveTime),
        expiry_height: h.expiryHeight,
        state: h.state,
        custom_records: {},
        mpp_total_amt_msat: invoice.valueMsat.toString(),
      })),
      features: {
        9: { name: 'tlv-onion', is_required: false, is_known: true },
        14: { name: 'payment-addr', is_required: true, is_known: true },
        17: { name: 'multi-path-payments', is_required: false, is_known: true },
      },
      payment_addr: invoice.paymentAddr,
    };
  }
}

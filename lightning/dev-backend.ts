// The embedded dev backend, for the quick start and tests: a local node key signs real
// regtest BOLT11 invoices, their state lives in the database, and "paying" one of its own
// invoices is a state change (a hold invoice becomes held, a normal one settled). It moves
// no money and cannot pay invoices of other nodes.
import { fromHex, paymentHashOf } from '../core/index.js';
import type {
  BackendCapabilities,
  CreatedInvoice,
  HoldInvoiceRequest,
  InvoiceListener,
  InvoiceRequest,
  InvoiceStatus,
  LightningBackend,
  NodeInfo,
  PayOptions,
  PaymentResult,
} from './backend.js';
import { decodeBolt11 } from './bolt11.js';
import { insertInvoice, selectInvoice, statusOf, transition, type DevInvoiceRow, type SqlDb, type SqlRunner } from './dev-store.js';
import { LightningError } from './errors.js';
import { invoicesLib, LIB_NETWORK } from './invoices-lib.js';
import {
  DEFAULT_HOLD_CLTV_DELTA,
  DEV_BLOCK_INTERVAL_MS,
  MAX_AMOUNT_SATS,
  MAX_CLTV_DELTA,
  MAX_DESCRIPTION_BYTES,
  MAX_INVOICE_EXPIRY_SECONDS,
  MIN_CLTV_DELTA,
} from './limits.js';
import { DevNodeKey, type RandomBytes } from './node-key.js';
import { InvoiceListeners } from './listeners.js';

export const DEV_NETWORK = 'regtest';
export const DEV_ALIAS = 'lnmp-dev';
/** Feature bits of dev invoices: var_onion_optin and payment_secret, both required. */
const DEV_FEATURES = [{ bit: 8 }, { bit: 14 }];

export interface DevBackendOptions {
  db: SqlDb;
  /** The node key's 32 secret bytes; the caller generates (generateNodeKey) and persists them. */
  nodeKey: Uint8Array;
  random: RandomBytes;
  /** Unix milliseconds. */
  now?: () => number;
  maxExpirySeconds?: number;
  /** A listener that throws must not stop the others; its error goes here. */
  onListenerError?: (err: unknown) => void;
}

const HEX32 = /^[0-9a-f]{64}$/;
/** The payment hash of a preimage given as 64 hex (validated by the caller). */
const hashOf = (preimage: string): string => paymentHashOf(fromHex(preimage, 32, 'preimage'));

function invalid(detail: string): LightningError {
  return new LightningError('invalid_argument', detail);
}

export class DevLightningBackend implements LightningBackend {
  readonly #db: SqlDb;
  readonly #key: DevNodeKey;
  readonly #random: RandomBytes;
  readonly #now: () => number;
  readonly #maxExpirySeconds: number;
  readonly #listeners: InvoiceListeners;

  constructor(options: DevBackendOptions) {
    this.#db = options.db;
    this.#key = new DevNodeKey(options.nodeKey);
    this.#random = options.random;
    this.#now = options.now ?? Date.now;
    this.#maxExpirySeconds = options.maxExpirySeconds ?? MAX_INVOICE_EXPIRY_SECONDS;
    this.#listeners = new InvoiceListeners(options.onListenerError);
  }

  capabilities(): BackendCapabilities {
    return { kind: 'dev', network: DEV_NETWORK, holdInvoices: true, paysExternalInvoices: false };
  }

  async nodeInfo(): Promise<NodeInfo> {
    return { publicKey: this.#key.publicKey, alias: DEV_ALIAS, network: DEV_NETWORK, blockHeight: 0, synced: true };
  }

  async createHoldInvoice(request: HoldInvoiceRequest): Promise<CreatedInvoice> {
    if (typeof request.paymentHash !== 'string' || !HEX32.test(request.paymentHash)) {
      throw invalid('paymentHash must be 64 lowercase hex characters');
    }
    const cltvDelta = request.cltvDelta ?? DEFAULT_HOLD_CLTV_DELTA;
    if (!Number.isInteger(cltvDelta) || cltvDelta < MIN_CLTV_DELTA || cltvDelta > MAX_CLTV_DELTA) {
      throw invalid(`cltvDelta must be an integer ${MIN_CLTV_DELTA}-${MAX_CLTV_DELTA}`);
    }
    return this.#create(request, request.paymentHash, null, cltvDelta);
  }

  async createInvoice(request: InvoiceRequest): Promise<CreatedInvoice> {
    const preimage = Buffer.from(this.#random(32)).toString('hex');
    return this.#create(request, hashOf(preimage), preimage, MIN_CLTV_DELTA);
  }

  async #create(request: InvoiceRequest, paymentHash: string, preimage: string | null, cltvDelta: number): Promise<CreatedInvoice> {
    const { amountSats, description, expirySeconds } = request;
    if (!Number.isSafeInteger(amountSats) || amountSats < 1 || amountSats > MAX_AMOUNT_SATS) {
      throw invalid(`amountSats must be a whole number 1-${MAX_AMOUNT_SATS}`);
    }
    if (typeof description !== 'string' || Buffer.byteLength(description, 'utf8') > MAX_DESCRIPTION_BYTES) {
      throw invalid(`description must be a string of at most ${MAX_DESCRIPTION_BYTES} bytes`);
    }
    if (!Number.isInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > this.#maxExpirySeconds) {
      throw invalid(`expirySeconds must be an integer 1-${this.#maxExpirySeconds}`);
    }
    // BOLT11 timestamps are whole seconds; the stored times are the invoice's own.
    const createdAt = Math.floor(this.#now() / 1000) * 1000;
    const expiresAt = createdAt + expirySeconds * 1000;
    const bolt11 = this.#sign({ paymentHash, amountSats, description, createdAt, expiresAt, cltvDelta });
    const row = {
      payment_hash: paymentHash,
      payee: this.#key.publicKey,
      bolt11,
      amount_sats: amountSats,
      hold: preimage === null,
      preimage,
      cltv_delta: cltvDelta,
      created_at: createdAt,
      expires_at: expiresAt,
    };
    if (!(await insertInvoice(this.#db, row))) {
      throw new LightningError('invoice_exists', `an invoice with payment hash ${paymentHash} already exists`);
    }
    return { bolt11, paymentHash, expiresAt };
  }

  #sign(i: { paymentHash: string; amountSats: number; description: string; createdAt: number; expiresAt: number; cltvDelta: number }): string {
    const unsigned = invoicesLib.createUnsignedRequest({
      cltv_delta: i.cltvDelta,
      created_at: new Date(i.createdAt).toISOString(),
      description: i.description,
      destination: this.#key.publicKey,
      expires_at: new Date(i.expiresAt).toISOString(),
      features: DEV_FEATURES,
      id: i.paymentHash,
      mtokens: String(BigInt(i.amountSats) * 1000n),
      network: LIB_NETWORK[DEV_NETWORK],
      payment: Buffer.from(this.#random(32)).toString('hex'),
    });
    const signature = this.#key.sign(Buffer.from(unsigned.hash, 'hex'));
    const { request } = invoicesLib.createSignedRequest({
      destination: this.#key.publicKey,
      hrp: unsigned.hrp,
      signature: Buffer.from(signature).toString('hex'),
      tags: unsigned.tags,
    });
    // What this node hands out must pass the checks every payer applies.
    const check = decodeBolt11(request, { network: DEV_NETWORK, now: i.createdAt, expectedAmountSats: i.amountSats });
    if (check.payee !== this.#key.publicKey || check.paymentHash !== i.paymentHash || check.expiresAt !== i.expiresAt) {
      throw new LightningError('signing_failed', 'the signed invoice does not decode to what was signed');
    }
    return request;
  }

  async settle(preimage: string): Promise<InvoiceStatus> {
    if (typeof preimage !== 'string' || !HEX32.test(preimage)) throw invalid('preimage must be 64 lowercase hex characters');
    const paymentHash = hashOf(preimage);
    return this.#change(paymentHash, async (tx, row, now) => {
      if (!row) throw new LightningError('preimage_mismatch', 'no invoice has the sha256 of this preimage as its payment hash');
      if (!row.hold) throw new LightningError('invoice_wrong_state', 'not a hold invoice: it settles itself when paid');
      if (row.state !== 'held') throw new LightningError('invoice_wrong_state', wrongState(row.state, 'settled'));
      return transition(tx, paymentHash, 'held', { state: 'settled', preimage, settled_at: now });
    });
  }

  async cancel(paymentHash: string): Promise<InvoiceStatus> {
    assertHash(paymentHash);
    return this.#change(paymentHash, async (tx, row, now) => {
      if (!row) throw notFound(paymentHash);
      if (row.state === 'canceled') return row; // canceling twice is harmless
      if (row.state === 'settled') throw new LightningError('invoice_wrong_state', wrongState('settled', 'canceled'));
      return transition(tx, paymentHash, row.state, { state: 'canceled', canceled_at: now });
    });
  }

  async lookup(paymentHash: string): Promise<InvoiceStatus> {
    assertHash(paymentHash);
    return this.#change(paymentHash, async (_tx, row) => {
      if (!row) throw notFound(paymentHash);
      return row;
    });
  }

  subscribe(paymentHash: string, listener: InvoiceListener): () => void {
    assertHash(paymentHash);
    return this.#listeners.add(paymentHash, listener);
  }

  /**
   * The dev "payment": the invoice becomes held (hold) or settled (normal) and the status is
   * returned at once. The `dev pay` command and the pay page's dev button use this; pay()
   * also waits for the payee's decision, as a Lightning payment does.
   */
  async sendPayment(bolt11: string, options: PayOptions): Promise<InvoiceStatus> {
    if (!Number.isSafeInteger(options.maxFeeSats) || options.maxFeeSats < 0) throw invalid('maxFeeSats must be a whole number ≥ 0');
    const invoice = decodeBolt11(bolt11, { network: DEV_NETWORK, now: this.#now() });
    if (invoice.payee !== this.#key.publicKey) {
      throw new LightningError('payment_failed', 'the dev backend can pay only invoices it issued itself');
    }
    return this.#change(invoice.paymentHash, async (tx, row, now) => {
      if (!row) throw new LightningError('payment_failed', 'this dev node has no record of the invoice');
      if (row.state === 'canceled') throw new LightningError('payment_failed', 'the invoice was canceled');
      if (row.state !== 'open') throw new LightningError('payment_failed', 'the invoice is already paid');
      if (row.hold) {
        return transition(tx, row.payment_hash, 'open', { state: 'held', held_at: now, settle_deadline: now + row.cltv_delta * DEV_BLOCK_INTERVAL_MS });
      }
      return transition(tx, row.payment_hash, 'open', { state: 'settled', held_at: now, settled_at: now });
    });
  }

  async pay(bolt11: string, options: PayOptions): Promise<PaymentResult> {
    const { paymentHash } = decodeBolt11(bolt11, { network: DEV_NETWORK, now: this.#now() });
    let unsubscribe = (): void => {};
    const decided = new Promise<InvoiceStatus>((resolve) => {
      unsubscribe = this.subscribe(paymentHash, (s) => {
        if (s.state === 'settled' || s.state === 'canceled') resolve(s);
      });
    });
    try {
      const sent = await this.sendPayment(bolt11, options);
      const final = sent.state === 'held' ? await decided : sent;
      if (final.state !== 'settled' || final.preimage === undefined) {
        throw new LightningError('payment_failed', 'the payee canceled the payment; the amount is returned');
      }
      return { paymentHash, preimage: final.preimage, feeSats: 0 };
    } finally {
      unsubscribe();
    }
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  /**
   * One state change in one transaction: the row is locked, what the clock decided since
   * the last look is applied (expiry, the held payment's deadline), then `decide` runs.
   * Listeners hear of every change after COMMIT.
   */
  async #change(
    paymentHash: string,
    decide: (tx: SqlRunner, row: DevInvoiceRow | undefined, now: number) => Promise<DevInvoiceRow | undefined>,
  ): Promise<InvoiceStatus> {
    const changes: DevInvoiceRow[] = [];
    let refused: LightningError | undefined;
    const result = await this.#db.transaction(async (tx) => {
      const now = this.#now();
      let row = await selectInvoice(tx, paymentHash, true);
      if (row) {
        const timedOut = timeout(row, now);
        if (timedOut) {
          row = (await transition(tx, paymentHash, row.state, timedOut)) ?? row;
          changes.push(row);
        }
      }
      try {
        const after = await decide(tx, row, now);
        if (!after) throw new LightningError('invoice_wrong_state', 'the invoice changed concurrently; try again');
        if (after !== row) changes.push(after);
        return after;
      } catch (err) {
        // A refusal still commits the timeout it was based on ("already canceled" stays true).
        if (!(err instanceof LightningError)) throw err;
        refused = err;
        return row;
      }
    });
    for (const row of changes) this.#listeners.emit(row.payment_hash, statusOf(row));
    if (refused || !result) throw refused ?? notFound(paymentHash);
    return statusOf(result);
  }
}

/** An open invoice past its expiry, or a held payment past its HTLC deadline, is canceled. */
function timeout(row: DevInvoiceRow, now: number): { state: 'canceled'; canceled_at: number } | undefined {
  if (row.state === 'open' && now >= row.expires_at) return { state: 'canceled', canceled_at: row.expires_at };
  if (row.state === 'held' && row.settle_deadline !== null && now >= row.settle_deadline) {
    return { state: 'canceled', canceled_at: row.settle_deadline };
  }
  return undefined;
}

function wrongState(state: string, wanted: string): string {
  if (state === 'open') return `the invoice is not paid yet, so it cannot be ${wanted}`;
  return `the invoice is already ${state}, so it cannot be ${wanted}`;
}

function assertHash(paymentHash: unknown): void {
  if (typeof paymentHash !== 'string' || !HEX32.test(paymentHash)) throw invalid('paymentHash must be 64 lowercase hex characters');
}

function notFound(paymentHash: string): LightningError {
  return new LightningError('invoice_not_found', `no invoice with payment hash ${paymentHash}`);
}

// The `lnd` backend: LightningBackend over LND's gRPC API through the `lightning` package.
// `openLndBackend` checks the settings, connects and asks GetInfo once, so a wrong macaroon
// or an unreachable node stops the gateway at startup with one line; the node's chain
// decides the network. Hold invoices carry the caller's payment hash; LND holds the HTLCs.
import { fromHex, paymentHashOf } from '../core/index.js';
import {
  authenticatedLndGrpc,
  cancelHodlInvoice,
  createHodlInvoice,
  createInvoice,
  getInvoice,
  getWalletInfo,
  payViaPaymentRequest,
  settleHodlInvoice,
  type AuthenticatedLnd,
} from 'lightning';
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
import { LightningError } from './errors.js';
import { checkHash, checkHoldRequest, checkInvoiceRequest, checkPayOptions, checkPreimage } from './invoice-args.js';
import {
  LND_BLOCK_INTERVAL_MS,
  LND_CALL_TIMEOUT_MS,
  LND_MAX_REMEMBERED_HOLD_HASHES,
  LND_RESUBSCRIBE_MAX_MS,
  LND_RESUBSCRIBE_MIN_MS,
  MAX_INVOICE_EXPIRY_SECONDS,
} from './limits.js';
import { lndCredentials, type CredentialFileReader, type LndCredentials, type LndSettings } from './lnd-credentials.js';
import { connectionError, GRPC, readFailure, unexpectedError, type LndFailure } from './lnd-errors.js';
import { lacksPreimage, networkOfChains, statusOf, type LndInvoiceView } from './lnd-invoice.js';
import { InvoiceWatch } from './lnd-subscription.js';
import type { BitcoinNetwork } from './network.js';

export interface LndBackendOptions {
  /** Unix milliseconds; settle deadlines count from it. */
  now?: () => number;
  /** Time per block when an HTLC's CLTV height becomes a settle deadline. */
  blockIntervalMs?: number;
  callTimeoutMs?: number;
  resubscribeMinMs?: number;
  resubscribeMaxMs?: number;
  maxExpirySeconds?: number;
  /** Subscription stream failures (resubscribed after a backoff) and listeners that throw. */
  onError?: (err: unknown) => void;
}

export interface LndDeps extends LndBackendOptions {
  /** Reads cert and macaroon files; fs.readFileSync when absent. */
  readFile?: CredentialFileReader;
}

/** Validates lightning.lnd, connects, asks GetInfo once, and returns the backend. */
export async function openLndBackend(settings: LndSettings, deps: LndDeps = {}): Promise<LndBackend> {
  const credentials = lndCredentials(settings, deps.readFile);
  const backend = new LndBackend(credentials, deps);
  try {
    await backend.open();
  } catch (err) {
    await backend.close();
    throw err;
  }
  return backend;
}

/** The payment hash of a preimage given as 64 hex (validated by the caller). */
const hashOf = (preimage: string): string => paymentHashOf(fromHex(preimage, 32, 'preimage'));
type FailureMap = (failure: LndFailure) => LightningError | undefined;

export class LndBackend implements LightningBackend {
  readonly #lnd: AuthenticatedLnd;
  readonly #socket: string;
  readonly #now: () => number;
  readonly #blockIntervalMs: number;
  readonly #callTimeoutMs: number;
  readonly #maxExpirySeconds: number;
  readonly #options: LndBackendOptions;
  readonly #onError: (err: unknown) => void;
  readonly #watches = new Set<InvoiceWatch>();
  /** Hold invoices this process created or settled: LND does not say which settled ones were hold. */
  readonly #holdHashes = new Set<string>();
  #node: { publicKey: string; network: BitcoinNetwork } | undefined;
  #closed = false;

  /** Connects lazily; call open() (openLndBackend does) before anything else. */
  constructor(credentials: LndCredentials, options: LndBackendOptions = {}) {
    this.#lnd = authenticatedLndGrpc(credentials).lnd;
    this.#socket = credentials.socket;
    this.#now = options.now ?? Date.now;
    this.#blockIntervalMs = options.blockIntervalMs ?? LND_BLOCK_INTERVAL_MS;
    this.#callTimeoutMs = options.callTimeoutMs ?? LND_CALL_TIMEOUT_MS;
    this.#maxExpirySeconds = options.maxExpirySeconds ?? MAX_INVOICE_EXPIRY_SECONDS;
    this.#options = options;
    this.#onError = options.onError ?? (() => {});
  }

  /** GetInfo once: the node answers, accepts the macaroon, and runs on a network we serve. */
  async open(): Promise<void> {
    const info = await this.#call('report its node info', () => getWalletInfo({ lnd: this.#lnd }));
    const network = networkOfChains(info.chains);
    if (network === undefined) {
      throw new LightningError('backend_error', `LND at ${this.#socket} runs on a chain this gateway does not serve (${info.chains.join(', ') || 'none'})`);
    }
    this.#node = { publicKey: info.public_key, network };
  }

  get #opened(): { publicKey: string; network: BitcoinNetwork } {
    if (!this.#node) throw new LightningError('backend_unreachable', 'the lnd backend is not open');
    return this.#node;
  }

  capabilities(): BackendCapabilities {
    return { kind: 'lnd', network: this.#opened.network, holdInvoices: true, paysExternalInvoices: true };
  }

  async nodeInfo(): Promise<NodeInfo> {
    const info = await this.#call('report its node info', () => getWalletInfo({ lnd: this.#lnd }));
    return {
      publicKey: info.public_key,
      alias: info.alias,
      network: this.#opened.network,
      blockHeight: info.current_block_height,
      synced: info.is_synced_to_chain,
    };
  }

  async createHoldInvoice(request: HoldInvoiceRequest): Promise<CreatedInvoice> {
    const cltvDelta = checkHoldRequest(request, this.#maxExpirySeconds);
    const { paymentHash } = request;
    const created = await this.#call(
      'create a hold invoice',
      () =>
        createHodlInvoice({
          lnd: this.#lnd,
          id: paymentHash,
          tokens: request.amountSats,
          description: request.description,
          // The package turns this back into seconds from its own clock.
          expires_at: new Date(Date.now() + request.expirySeconds * 1000).toISOString(),
          cltv_delta: cltvDelta,
        }),
      (f) => (/already exists/.test(f.details ?? '') ? exists(paymentHash) : undefined),
    );
    this.#rememberHold(paymentHash);
    return this.#checked(created.request, paymentHash, request.amountSats);
  }

  async createInvoice(request: InvoiceRequest): Promise<CreatedInvoice> {
    checkInvoiceRequest(request, this.#maxExpirySeconds);
    const created = await this.#call('create an invoice', () =>
      createInvoice({
        lnd: this.#lnd,
        tokens: request.amountSats,
        description: request.description,
        expires_at: new Date(Date.now() + request.expirySeconds * 1000).toISOString(),
      }),
    );
    return this.#checked(created.request ?? '', created.id, request.amountSats);
  }

  /** What the node handed out must be what was asked for, and pass every payer's checks. */
  #checked(bolt11: string, paymentHash: string, amountSats: number): CreatedInvoice {
    const { publicKey, network } = this.#opened;
    let invoice;
    try {
      invoice = decodeBolt11(bolt11, { network, now: this.#now(), expectedAmountSats: amountSats });
    } catch (cause) {
      throw new LightningError('backend_error', `LND returned an invoice that does not decode: ${(cause as Error).message}`, { cause });
    }
    if (invoice.payee !== publicKey || invoice.paymentHash !== paymentHash) {
      throw new LightningError('backend_error', 'LND returned an invoice for another payee or payment hash');
    }
    return { bolt11, paymentHash, expiresAt: invoice.expiresAt };
  }

  async settle(preimage: string): Promise<InvoiceStatus> {
    checkPreimage(preimage);
    await this.#call(
      'settle the invoice',
      () => settleHodlInvoice({ lnd: this.#lnd, secret: preimage }),
      (f) => {
        if (f.message === 'SecretDoesNotMatchAnyExistingHodlInvoice') {
          return new LightningError('preimage_mismatch', 'no invoice has the sha256 of this preimage as its payment hash');
        }
        if (f.message === 'CannotSettleHtlcBeforeHtlcReceived') return wrongState('open', 'settled');
        const already = /invoice already (settled|canceled)/.exec(f.details ?? '');
        return already ? wrongState(already[1] ?? '', 'settled') : undefined;
      },
    );
    const paymentHash = hashOf(preimage);
    this.#rememberHold(paymentHash);
    return this.lookup(paymentHash);
  }

  async cancel(paymentHash: string): Promise<InvoiceStatus> {
    checkHash(paymentHash);
    await this.#call(
      'cancel the invoice',
      () => cancelHodlInvoice({ lnd: this.#lnd, id: paymentHash }),
      (f) => {
        if (isNotFound(f)) return notFound(paymentHash);
        return /invoice already settled/.test(f.details ?? '') ? wrongState('settled', 'canceled') : undefined;
      },
    );
    return this.lookup(paymentHash);
  }

  async lookup(paymentHash: string): Promise<InvoiceStatus> {
    checkHash(paymentHash);
    const invoice = await this.#call(
      'look up the invoice',
      () => getInvoice({ lnd: this.#lnd, id: paymentHash }),
      (f) => (isNotFound(f) ? notFound(paymentHash) : undefined),
    );
    return this.#status(invoice, await this.#heightIfHeld(invoice));
  }

  #status(invoice: LndInvoiceView, blockHeight: number | undefined): InvoiceStatus {
    const hold = this.#holdHashes.has(invoice.id) || lacksPreimage(invoice) || invoice.is_held === true;
    return statusOf(invoice, { hold, blockHeight, now: this.#now(), blockIntervalMs: this.#blockIntervalMs });
  }

  async #heightIfHeld(invoice: LndInvoiceView): Promise<number | undefined> {
    if (!invoice.is_held) return undefined;
    const info = await this.#call('report its block height', () => getWalletInfo({ lnd: this.#lnd }));
    return info.current_block_height;
  }

  subscribe(paymentHash: string, listener: InvoiceListener): () => void {
    checkHash(paymentHash);
    if (this.#closed) throw closedError();
    const watch = new InvoiceWatch({
      lnd: this.#lnd,
      paymentHash,
      listener,
      // A held status without a deadline beats no status while GetInfo fails.
      toStatus: async (invoice) => this.#status(invoice, await this.#heightIfHeld(invoice).catch(() => undefined)),
      onError: this.#onError,
      mapError: (err) => this.#mapError(err, 'keep the invoice subscription', paymentHash),
      minBackoffMs: this.#options.resubscribeMinMs ?? LND_RESUBSCRIBE_MIN_MS,
      maxBackoffMs: this.#options.resubscribeMaxMs ?? LND_RESUBSCRIBE_MAX_MS,
    });
    this.#watches.add(watch);
    watch.start();
    return () => {
      watch.close();
      this.#watches.delete(watch);
    };
  }

  async pay(bolt11: string, options: PayOptions): Promise<PaymentResult> {
    checkPayOptions(options);
    const { paymentHash } = decodeBolt11(bolt11, { network: this.#opened.network, now: this.#now() });
    // No timeout: paying a hold invoice takes as long as its payee holds it.
    const paid = await this.#call(
      'pay the invoice',
      () => payViaPaymentRequest({ lnd: this.#lnd, request: bolt11, max_fee: options.maxFeeSats }),
      paymentFailure,
      false,
    );
    return { paymentHash, preimage: paid.secret, feeSats: paid.safe_fee };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const watch of this.#watches) watch.close();
    this.#watches.clear();
    for (const client of Object.values(this.#lnd) as { close?: () => void }[]) client?.close?.();
  }

  #rememberHold(paymentHash: string): void {
    this.#holdHashes.delete(paymentHash);
    this.#holdHashes.add(paymentHash);
    if (this.#holdHashes.size > LND_MAX_REMEMBERED_HOLD_HASHES) {
      const [oldest] = this.#holdHashes;
      if (oldest !== undefined) this.#holdHashes.delete(oldest);
    }
  }

  /** One call to the node, within the call timeout unless `timed` is false; failures mapped. */
  async #call<T>(what: string, run: () => Promise<T>, map?: FailureMap, timed = true): Promise<T> {
    if (this.#closed) throw closedError();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (!timed) return;
      timer = setTimeout(
        () => reject(new LightningError('backend_unreachable', `LND at ${this.#socket} did not answer within ${this.#callTimeoutMs} ms`)),
        this.#callTimeoutMs,
      );
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (err) {
      if (err instanceof LightningError) throw err;
      const failure = readFailure(err);
      throw connectionError(failure, this.#socket, err) ?? map?.(failure) ?? unexpectedError(failure, what, err);
    } finally {
      clearTimeout(timer);
    }
  }

  #mapError(err: unknown, what: string, paymentHash: string): LightningError {
    if (err instanceof LightningError) return err;
    const failure = readFailure(err);
    const known = connectionError(failure, this.#socket, err) ?? (isNotFound(failure) ? notFound(paymentHash) : undefined);
    return known ?? unexpectedError(failure, what, err);
  }
}

function closedError(): LightningError {
  return new LightningError('backend_unreachable', 'the lnd backend is closed');
}

function exists(paymentHash: string): LightningError {
  return new LightningError('invoice_exists', `an invoice with payment hash ${paymentHash} already exists`);
}

function notFound(paymentHash: string): LightningError {
  return new LightningError('invoice_not_found', `no invoice with payment hash ${paymentHash}`);
}

function isNotFound(f: LndFailure): boolean {
  return f.grpcCode === GRPC.NOT_FOUND || /unable to locate invoice/.test(f.details ?? '');
}

function wrongState(state: string, wanted: string): LightningError {
  if (state === 'open') return new LightningError('invoice_wrong_state', `the invoice is not paid yet, so it cannot be ${wanted}`);
  return new LightningError('invoice_wrong_state', `the invoice is already ${state}, so it cannot be ${wanted}`);
}

/** The package's payment outcomes, and LND's refusals of a payment it will not start. */
const PAYMENT_FAILURES: Readonly<Record<string, string>> = {
  PaymentRejectedByDestination: 'the payee rejected the payment (the invoice is unknown to it, or was canceled)',
  PaymentPathfindingFailedToFindPossibleRoute: 'no route to the payee was found',
  FailedToFindPayableRouteToDestination: 'no route to the payee could carry the payment',
  InsufficientBalanceToAttemptPayment: 'the node has too little outbound balance',
  PaymentAttemptsTimedOut: 'the payment timed out',
  PaymentExecutionCanceled: 'the payment was canceled',
};

function paymentFailure(f: LndFailure): LightningError {
  const known = PAYMENT_FAILURES[f.message];
  if (known !== undefined) return new LightningError('payment_failed', known);
  if (/already paid/.test(f.details ?? '')) return new LightningError('payment_failed', 'the invoice is already paid');
  if (/in transition|in flight/.test(f.details ?? '')) return new LightningError('payment_failed', 'a payment of this invoice is already in flight');
  return new LightningError('payment_failed', `the payment failed: ${f.details ?? f.message}`);
}

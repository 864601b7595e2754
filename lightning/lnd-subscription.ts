// One invoice's SubscribeSingleInvoice stream, kept alive: when the stream fails or ends
// (LND restarts, the connection drops) the error goes to `onError` and it subscribes again
// after a backoff that doubles up to a cap. LND sends the current state on every
// subscription, so the listener hears each state once: the current one, then every change.
// One stream per subscribe() call, so every listener hears the current state first.
import type { EventEmitter } from 'node:events';
import { subscribeToInvoice, type AuthenticatedLnd } from 'lightning';
import type { InvoiceListener, InvoiceState, InvoiceStatus } from './backend.js';
import { isLightningError, type LightningError } from './errors.js';
import type { LndInvoiceView } from './lnd-invoice.js';

export interface InvoiceWatchOptions {
  lnd: AuthenticatedLnd;
  paymentHash: string;
  listener: InvoiceListener;
  /** LND's invoice as our status; must not throw. */
  toStatus: (invoice: LndInvoiceView) => Promise<InvoiceStatus>;
  /** Stream failures (as LightningErrors, through `mapError`) and listeners that throw. */
  onError: (err: unknown) => void;
  mapError: (err: unknown) => LightningError;
  minBackoffMs: number;
  maxBackoffMs: number;
}

const FINAL: ReadonlySet<InvoiceState> = new Set(['settled', 'canceled']);

export class InvoiceWatch {
  readonly #o: InvoiceWatchOptions;
  #stream: EventEmitter | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #last: InvoiceState | undefined;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: InvoiceWatchOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#closed || this.#stream) return;
    let stream: EventEmitter;
    try {
      stream = subscribeToInvoice({ id: this.#o.paymentHash, lnd: this.#o.lnd });
    } catch (err) {
      this.#retry(err);
      return;
    }
    this.#stream = stream;
    stream.on('invoice_updated', (invoice: LndInvoiceView) => {
      this.#failures = 0;
      this.#queue = this.#queue.then(() => this.#deliver(invoice));
    });
    // gRPC may report both an error and the end of one stream; the first one counts.
    stream.on('error', (err: unknown) => this.#lost(stream, err));
    stream.on('end', () => this.#lost(stream, new Error('the invoice subscription stream ended')));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stop();
  }

  async #deliver(invoice: LndInvoiceView): Promise<void> {
    const status = await this.#o.toStatus(invoice);
    if (this.#closed || status.state === this.#last) return;
    this.#last = status.state;
    try {
      this.#o.listener(status);
    } catch (err) {
      this.#o.onError(err);
    }
    // Nothing follows settled or canceled: the stream is no longer needed.
    if (FINAL.has(status.state)) {
      this.#closed = true;
      this.#stop();
    }
  }

  #lost(stream: EventEmitter, err: unknown): void {
    if (this.#stream !== stream) return;
    this.#stop();
    this.#retry(err);
  }

  #retry(err: unknown): void {
    if (this.#closed) return;
    const mapped = this.#o.mapError(err);
    this.#o.onError(mapped);
    // No invoice with this hash: subscribing again would not find one either.
    if (isLightningError(mapped, 'invoice_not_found')) {
      this.#closed = true;
      return;
    }
    const wait = Math.min(this.#o.minBackoffMs * 2 ** this.#failures, this.#o.maxBackoffMs);
    this.#failures += 1;
    this.#timer = setTimeout(() => this.start(), wait);
    this.#timer.unref();
  }

  /** Removing the last update listener makes the package cancel the gRPC call. */
  #stop(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    if (!stream) return;
    stream.removeAllListeners('invoice_updated');
    stream.removeAllListeners();
    stream.on('error', () => {});
  }
}

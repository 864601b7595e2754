// What a RelayClient is waiting for from its relay: PUBLISHes (by envelope id, with their ack
// timers), QUERYs (by label, until EOSE), and, on the current connection only, AUTH (by key)
// and SUB (by label) answers. OK, ERROR, EOSE and INVOICE frames are matched here.
import type { VerifiedMessage } from '../core/envelope.js';
import type { TimerHandle, Timers } from './backoff.js';
import { RelayClientError } from './client-errors.js';
import type { ErrorFrame, Filter, InvoiceFrame } from './frames.js';

export interface PublishResult {
  readonly relay: string;
  readonly id: string;
  /**
   * The relay already had the envelope (`duplicate:`). Counted as delivered: publishing is
   * idempotent, and a retry after a lost OK ends here.
   */
  readonly duplicate: boolean;
  /** The recipient accepted the envelope and holds it until this postage invoice is paid. */
  readonly invoice?: RelayInvoice;
}

export interface RelayInvoice {
  readonly bolt11: string;
  readonly amount: number;
  readonly expiresAt: number;
  readonly purpose: 'relay-fee' | 'postage';
  readonly url?: string;
}

interface PendingPublish {
  readonly text: string;
  readonly promise: Promise<PublishResult>;
  readonly resolve: (r: PublishResult) => void;
  readonly reject: (e: RelayClientError) => void;
  invoice?: RelayInvoice;
}

export interface PendingQuery {
  readonly filter: Filter;
  readonly onMessage: (m: VerifiedMessage) => void;
  readonly resolve: () => void;
  readonly reject: (e: RelayClientError) => void;
  /** Public queries start again after a reconnect; a catch-up query is dropped (its subscription starts it again). */
  readonly restart: (() => void) | undefined;
}

interface Waiter {
  resolve(): void;
  reject(e: RelayClientError): void;
}

export class ClientRequests {
  private readonly publishes = new Map<string, PendingPublish>();
  readonly queries = new Map<string, PendingQuery>();
  private readonly authWaiters = new Map<string, Waiter>();
  private readonly subWaiters = new Map<string, Waiter>();

  constructor(
    private readonly url: string,
    private readonly timers: Timers,
  ) {}

  /** The pending promise of envelope `id`, or a new one that times out after `ms`; `text` is its PUBLISH frame. */
  publish(id: string, text: string, ms: number): { promise: Promise<PublishResult>; fresh: boolean } {
    const existing = this.publishes.get(id);
    if (existing) return { promise: existing.promise, fresh: false };
    let resolve!: (r: PublishResult) => void;
    let reject!: (e: RelayClientError) => void;
    const promise = new Promise<PublishResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer: TimerHandle = this.timers.setTimeout(() => {
      this.publishes.delete(id);
      reject(new RelayClientError('timeout', `relay ${this.url} did not answer PUBLISH ${id} within ${ms} ms`, { relay: this.url }));
    }, ms);
    const settle = <T>(fn: (v: T) => void) => (v: T) => {
      this.timers.clearTimeout(timer);
      this.publishes.delete(id);
      fn(v);
    };
    this.publishes.set(id, { text, promise, resolve: settle(resolve), reject: settle(reject) });
    return { promise, fresh: true };
  }

  /** Registers QUERY `label`; resolves at its EOSE, rejects on ERROR or after `ms`. */
  query(label: string, filter: Filter, onMessage: (m: VerifiedMessage) => void, restart: (() => void) | undefined, ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (fn: () => void) => {
        this.timers.clearTimeout(timer);
        this.queries.delete(label);
        fn();
      };
      const timer = this.timers.setTimeout(
        () => done(() => reject(new RelayClientError('timeout', `relay ${this.url} did not finish QUERY ${label} within ${ms} ms`, { relay: this.url }))),
        ms,
      );
      this.queries.set(label, { filter, onMessage, restart, resolve: () => done(resolve), reject: (e) => done(() => reject(e)) });
    });
  }

  awaitAuth(pubkey: string): Promise<void> {
    return new Promise((resolve, reject) => this.authWaiters.set(pubkey, { resolve, reject }));
  }

  awaitSub(label: string): Promise<void> {
    return new Promise((resolve, reject) => this.subWaiters.set(label, { resolve, reject }));
  }

  forgetSub(label: string): void {
    this.subWaiters.delete(label);
  }

  /** Frames to send again on a new connection: pending PUBLISHes and restartable QUERYs. */
  resend(): string[] {
    return [
      ...[...this.publishes.values()].map((p) => p.text),
      ...[...this.queries].map(([label, q]) => JSON.stringify({ type: 'QUERY', sub: label, filter: q.filter })),
    ];
  }

  /** The connection ended: its AUTH and SUB answers will not come; catch-up queries are dropped. */
  connectionLost(err: RelayClientError): void {
    for (const w of [...this.authWaiters.values(), ...this.subWaiters.values()]) w.reject(err);
    this.authWaiters.clear();
    this.subWaiters.clear();
    for (const q of [...this.queries.values()]) {
      if (q.restart) q.restart();
      else q.reject(err);
    }
  }

  /** The client closed: everything pending is rejected. */
  closeAll(err: RelayClientError): void {
    this.connectionLost(err);
    for (const q of [...this.queries.values()]) q.reject(err);
    for (const p of [...this.publishes.values()]) p.reject(err);
  }

  ok(command: 'AUTH' | 'SUB' | 'UNSUB' | 'PUBLISH', ref: string): void {
    if (command === 'PUBLISH') {
      const p = this.publishes.get(ref);
      p?.resolve({ relay: this.url, id: ref, duplicate: false, ...(p.invoice?.purpose === 'postage' ? { invoice: p.invoice } : {}) });
    }
    else if (command === 'AUTH') take(this.authWaiters, ref)?.resolve();
    else if (command === 'SUB') take(this.subWaiters, ref)?.resolve();
  }

  eose(label: string): void {
    this.queries.get(label)?.resolve();
  }

  invoice(frame: InvoiceFrame): void {
    const p = this.publishes.get(frame.ref);
    if (p) p.invoice = { bolt11: frame.bolt11, amount: frame.amount, expiresAt: frame.expiresAt, purpose: frame.purpose ?? 'relay-fee', ...(frame.url ? { url: frame.url } : {}) };
  }

  /** Settles what the ERROR is about; false when it matches nothing pending (the caller logs it). */
  error(frame: ErrorFrame): boolean {
    const { command, ref, reason } = frame;
    if (ref === undefined) return false;
    const refused = (extra: object = {}) => new RelayClientError('rejected', `relay ${this.url} refused ${ref}: ${reason}`, { relay: this.url, reason, ...extra });
    const publish = command === 'PUBLISH' ? this.publishes.get(ref) : undefined;
    if (publish) {
      if (reason.startsWith('duplicate:')) publish.resolve({ relay: this.url, id: ref, duplicate: true });
      else publish.reject(refused(publish.invoice ? { invoice: publish.invoice } : {}));
      return true;
    }
    const waiter = command === 'AUTH' ? take(this.authWaiters, ref) : command === 'SUB' ? take(this.subWaiters, ref) : undefined;
    const query = command === 'QUERY' ? this.queries.get(ref) : undefined;
    if (waiter) waiter.reject(refused());
    else if (query) query.reject(refused());
    return waiter !== undefined || query !== undefined;
  }
}

function take(map: Map<string, Waiter>, key: string): Waiter | undefined {
  const w = map.get(key);
  map.delete(key);
  return w;
}

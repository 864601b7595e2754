// What every handler of a connection shares: the store, the live subscriptions, the counters,
// the limits, the relay's URL, the clock and randomness, and the optional admission hook.
import type { Rng } from '../core/keys.js';
import type { VerifiedMessage } from '../core/envelope.js';
import type { Counters } from '../storage/counters.js';
import type { AuthState } from './auth.js';
import type { RelayFrame } from './frames.js';
import type { RelayLimits } from './limits.js';
import type { RelayStore } from './store.js';
import type { Subscriber, SubscriptionRegistry } from './subscriptions.js';

/** The structured logger the relay writes to (the gateway's Logger fits). */
export interface RelayLogger {
  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A relay fee: accept the envelope, or answer with an invoice for it (INVOICE, then `payment-required:`). */
export type Admission = { accept: true } | { accept: false; invoice: { bolt11: string; amount: number; expiresAt: number } };
export type AdmitHook = (message: VerifiedMessage) => Promise<Admission>;

/** Postage a recipient asks for an envelope it accepted and holds (an INVOICE with purpose `postage` before the OK). */
export interface PostageInvoice {
  readonly bolt11: string;
  readonly amount: number;
  readonly expiresAt: number;
  readonly url?: string;
}
/**
 * Hands a verified envelope to the recipients this relay serves before it is stored (a
 * gateway's own users). Idempotent per envelope id; a throw refuses the PUBLISH (`error:`), so
 * the sender retries and nothing is stored that its recipients did not get.
 */
export type DeliverHook = (message: VerifiedMessage) => Promise<readonly PostageInvoice[]>;

/**
 * Federation: queues a newly stored envelope for other relays (a PUBLISH's `targetRelays`,
 * this relay left out). The forwarded PUBLISH names no targets, and a relay that already has
 * the id answers `duplicate:` without forwarding, so an envelope cannot loop.
 */
export type ForwardHook = (message: VerifiedMessage, relays: readonly string[]) => Promise<void>;

export interface RelayContext {
  readonly store: RelayStore;
  readonly subscriptions: SubscriptionRegistry;
  readonly counters: Counters;
  readonly limits: RelayLimits;
  /** The public URL clients connect to and sign in AUTH. */
  readonly url: string;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly rng: Rng;
  readonly logger: RelayLogger;
  readonly admit: AdmitHook | undefined;
  readonly deliver: DeliverHook | undefined;
  readonly forward: ForwardHook | undefined;
  /** Announces stored envelopes to the other relay processes on the database (relay/fanout.ts). */
  readonly fanout?: { announce(message: VerifiedMessage): void } | undefined;
}

/** The side of one connection the handlers see. */
export interface RelayPeer extends Subscriber {
  readonly ip: string;
  readonly auth: AuthState;
  /** False once the connection is closing: handlers stop producing frames. */
  readonly open: boolean;
  send(frame: RelayFrame): void;
  /** Sends an already serialised frame. */
  sendText(text: string): void;
}

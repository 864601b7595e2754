// The LNMP relay client for one relay URL (docs/protocol.md §9): connects with ws, answers the
// CHALLENGE with AUTH for its keys, publishes with acknowledgement timeouts, keeps
// subscriptions across reconnects (SUB, then a catch-up QUERY from the newest timestamp seen,
// deduped by id) and reconnects with exponential backoff and full jitter until closed.
import WebSocket, { type RawData } from 'ws';
import { publicKeyHexOf } from '../core/secp256k1.js';
import { verifyMessage, type LnmpMessage, type VerifiedMessage } from '../core/envelope.js';
import type { Rng } from '../core/keys.js';
import { issuesText, relayUrl } from '../core/schema-helpers.js';
import { systemRng } from '../services/random.js';
import { signAuth } from './auth.js';
import { fullJitterDelay, systemTimers, type TimerHandle, type Timers } from './backoff.js';
import { RelayClientError } from './client-errors.js';
import { ClientRequests, type PublishResult, type RelayInvoice } from './client-requests.js';
import { resolveClientLimits, type RelayClientLimits } from './client-limits.js';
import type { RelayLogger } from './context.js';
import { FilterSchema, RelayFrameSchema, type Filter, type RelayFrame } from './frames.js';
import { SeenIds } from './seen-ids.js';
import { matchesFilter } from './subscriptions.js';

export type { PublishResult, RelayInvoice };

/** connecting: socket, CHALLENGE and AUTH under way; ready: frames flow; waiting: backoff before the next attempt. */
export type RelayClientState = 'connecting' | 'ready' | 'waiting' | 'closed';

export interface RelayStateChange {
  readonly relay: string;
  readonly state: RelayClientState;
  /** Consecutive failed attempts so far (0 once ready). */
  readonly failures: number;
  /** For `waiting`: the delay before the next attempt. */
  readonly delayMs?: number;
  /** Why the last connection ended or failed, when it did. */
  readonly reason?: string;
}

export interface RelayClientOptions {
  /** The relay's URL, exactly as signed in AUTH (the relay compares it with its own). */
  readonly url: string;
  /** Private keys to AUTH as on every connection (needed to SUB/QUERY their mail). Never logged. */
  readonly keys?: readonly Uint8Array[];
  readonly logger?: RelayLogger;
  readonly limits?: Partial<RelayClientLimits>;
  /** Milliseconds since the epoch: the AUTH timestamp. */
  readonly now?: () => number;
  /** Randomness for AUTH signatures. */
  readonly rng?: Rng;
  /** Uniform [0, 1): the backoff jitter. */
  readonly random?: () => number;
  readonly timers?: Timers;
  readonly onState?: (change: RelayStateChange) => void;
  /** NOTICE frames (the relay is about to close the connection, usually). */
  readonly onNotice?: (message: string) => void;
}

export type MessageHandler = (message: VerifiedMessage, origin: { readonly relay: string; readonly sub: string }) => void;

export interface RelaySubscription {
  /** The subscription's label on the wire. */
  readonly id: string;
  /** Settles at the first OK and catch-up; rejects (`rejected`) if the relay refuses the SUB. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

const ID_RE = /^[0-9a-f]{64}$/;
/** How long close() waits for the relay to answer the close frame before cutting the socket. */
const CLOSE_WAIT_MS = 2_000;

const silentLogger: RelayLogger = { debug() {}, info() {}, warn() {}, error() {} };

interface SubState {
  readonly label: string;
  readonly filter: Filter;
  readonly handler: MessageHandler;
  readonly seen: SeenIds;
  /** Newest envelope timestamp delivered: where the catch-up after a reconnect starts. */
  newest: number | undefined;
  readonly settle: { resolve: () => void; reject: (e: RelayClientError) => void };
}

export class RelayClient {
  readonly url: string;
  private readonly limits: RelayClientLimits;
  private readonly logger: RelayLogger;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly rng: Rng;
  private ws: WebSocket | undefined;
  private current: RelayClientState = 'connecting';
  private failures = 0;
  private closing = false;
  private seq = 0;
  private retryTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private readonly requests: ClientRequests;
  private readonly subs = new Map<string, SubState>();
  /** CHALLENGE nonces of the current connection not yet used, and who waits for the next. */
  private challenges: string[] = [];
  private challengeWaiter: ((c: string) => void) | undefined;
  private readonly listeners = new Set<(c: RelayStateChange) => void>();

  constructor(private readonly opts: RelayClientOptions) {
    const url = relayUrl.safeParse(opts.url);
    if (!url.success) throw new RelayClientError('invalid', `relay URL: ${issuesText(url.error)}`, { relay: String(opts.url).slice(0, 80) });
    this.url = url.data;
    this.limits = resolveClientLimits(opts.limits);
    this.logger = opts.logger ?? silentLogger;
    this.timers = opts.timers ?? systemTimers;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.rng = opts.rng ?? systemRng;
    this.requests = new ClientRequests(this.url, this.timers);
    if (opts.onState) this.listeners.add(opts.onState);
    this.connect();
  }

  get state(): RelayClientState {
    return this.current;
  }

  /** Calls `listener` on every state change; returns what removes it. */
  onStateChange(listener: (change: RelayStateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves on the relay's OK (or `duplicate:`, see PublishResult); rejects `rejected` with the
   * relay's reason on ERROR, `timeout` after ackTimeoutMs (time spent reconnecting included),
   * `invalid` for an envelope without a hex id or over maxPublishBytes. Publishing the same id
   * while a publish of it is pending returns the pending promise.
   */
  publish(envelope: LnmpMessage, opts: { targetRelays?: readonly string[] } = {}): Promise<PublishResult> {
    if (this.closing) return Promise.reject(new RelayClientError('closed', `relay client for ${this.url} is closed`, { relay: this.url }));
    const id = (envelope as { id?: unknown }).id;
    if (typeof id !== 'string' || !ID_RE.test(id)) return Promise.reject(new RelayClientError('invalid', 'envelope id must be 32 bytes of lowercase hex', { relay: this.url }));
    const text = JSON.stringify({ type: 'PUBLISH', message: envelope, ...(opts.targetRelays?.length ? { targetRelays: opts.targetRelays } : {}) });
    const bytes = Buffer.byteLength(text);
    if (bytes > this.limits.maxPublishBytes) {
      return Promise.reject(new RelayClientError('invalid', `oversize: PUBLISH frame of ${bytes} bytes exceeds ${this.limits.maxPublishBytes}`, { relay: this.url }));
    }
    const { promise, fresh } = this.requests.publish(id, text, this.limits.ackTimeoutMs);
    if (fresh) this.sendIfReady(text);
    return promise;
  }

  /**
   * Delivers every envelope matching `filter`, stored or live, once each (by id): SUB, then a
   * catch-up QUERY. After each reconnect the same again, the QUERY from the newest timestamp
   * delivered (less resubscribeLookbackSeconds), so nothing published meanwhile is missed.
   * Throws `invalid` for a malformed filter.
   */
  subscribe(filter: Filter, onMessage: MessageHandler): RelaySubscription {
    const parsed = this.checkFilter(filter);
    if (this.closing) throw new RelayClientError('closed', `relay client for ${this.url} is closed`, { relay: this.url });
    const label = `s${++this.seq}`;
    let settle!: SubState['settle'];
    const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // Nobody has to await `ready`; a refusal is logged too.
    ready.catch(() => {});
    const sub: SubState = { label, filter: parsed, handler: onMessage, seen: new SeenIds(this.limits.seenIdsPerSubscription), newest: undefined, settle };
    this.subs.set(label, sub);
    if (this.current === 'ready') void this.startSub(sub);
    return { id: label, ready, close: () => this.unsubscribe(label) };
  }

  /** The stored envelopes matching `filter` (newest first), up to the relay's EOSE. Envelopes that do not verify are dropped. */
  query(filter: Filter): Promise<VerifiedMessage[]> {
    const parsed = this.checkFilter(filter);
    const results: VerifiedMessage[] = [];
    // Sent again after a reconnect, from scratch.
    const restart = () => void (results.length = 0);
    return this.runQuery(parsed, (m) => results.push(m), restart).then(() => results);
  }

  /** Stops reconnecting, rejects what is pending (`closed`) and closes the socket. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.connectTimer);
    const closed = new RelayClientError('closed', `relay client for ${this.url} is closed`, { relay: this.url });
    this.challengeWaiter = undefined;
    this.requests.closeAll(closed);
    for (const s of this.subs.values()) s.settle.reject(closed);
    this.subs.clear();
    const ws = this.ws;
    this.ws = undefined;
    this.setState('closed');
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => ws.terminate(), CLOSE_WAIT_MS);
      ws.once('close', () => {
        clearTimeout(cut);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'client closing');
    });
  }

  // --- connection lifecycle ---

  private connect(): void {
    if (this.closing) return;
    this.setState('connecting');
    const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: this.limits.maxFrameBytes, handshakeTimeout: this.limits.connectTimeoutMs });
    this.ws = ws;
    this.challenges = [];
    ws.on('message', (data, isBinary) => {
      if (this.ws === ws) this.receive(data, isBinary);
    });
    ws.on('error', (err) => this.logger.debug('relay client socket error', { relay: this.url, err: err.message }));
    ws.on('close', (code, reason) => {
      if (this.ws === ws) this.lost(`connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`);
    });
    ws.on('open', () => {
      if (this.ws === ws) void this.handshake(ws);
    });
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.ws !== ws || this.current === 'ready') return;
      this.logger.warn('relay connect timed out', { relay: this.url, ms: this.limits.connectTimeoutMs });
      ws.terminate();
    }, this.limits.connectTimeoutMs);
  }

  /** The CHALLENGE, then one AUTH per key; any failure ends the connection (and a reconnect follows). */
  private async handshake(ws: WebSocket): Promise<void> {
    try {
      let challenge = await this.nextChallenge();
      for (const key of this.opts.keys ?? []) {
        const pubkey = publicKeyHexOf(key);
        const answered = this.requests.awaitAuth(pubkey);
        const frame = signAuth({ privateKey: key, relay: this.url, challenge, timestamp: Math.floor(this.now() / 1000) }, this.rng);
        ws.send(JSON.stringify(frame));
        await answered;
        challenge = await this.nextChallenge();
      }
    } catch (err) {
      if (this.ws !== ws) return;
      this.logger.warn('relay AUTH failed', { relay: this.url, reason: (err as Error).message });
      ws.close(1000, 'AUTH failed');
      return;
    }
    if (this.ws === ws) this.becomeReady();
  }

  private nextChallenge(): Promise<string> {
    const first = this.challenges.shift();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve) => (this.challengeWaiter = resolve));
  }

  private becomeReady(): void {
    this.timers.clearTimeout(this.connectTimer);
    this.failures = 0;
    this.setState('ready');
    for (const text of this.requests.resend()) this.sendIfReady(text);
    for (const sub of this.subs.values()) void this.startSub(sub);
  }

  private lost(reason: string): void {
    this.ws = undefined;
    this.timers.clearTimeout(this.connectTimer);
    this.challengeWaiter = undefined;
    this.requests.connectionLost(new RelayClientError('closed', `relay ${this.url}: ${reason}`, { relay: this.url }));
    if (this.closing) return;
    const delayMs = fullJitterDelay(this.failures, this.limits.reconnectBaseMs, this.limits.reconnectMaxMs, this.random);
    this.failures++;
    this.logger.info('relay disconnected', { relay: this.url, reason, retryInMs: delayMs });
    this.setState('waiting', { delayMs, reason });
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delayMs);
  }

  private setState(state: RelayClientState, extra: { delayMs?: number; reason?: string } = {}): void {
    this.current = state;
    const change: RelayStateChange = { relay: this.url, state, failures: this.failures, ...extra };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.logger.error('relay state listener failed', { relay: this.url, err });
      }
    }
  }

  private sendIfReady(text: string): void {
    if (this.current === 'ready' && this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  // --- subscriptions and queries ---

  private checkFilter(filter: Filter): Filter {
    const parsed = FilterSchema.safeParse(filter);
    if (!parsed.success) throw new RelayClientError('invalid', `filter: ${issuesText(parsed.error)}`, { relay: this.url });
    return parsed.data;
  }

  private async startSub(sub: SubState): Promise<void> {
    const acked = this.requests.awaitSub(sub.label);
    this.sendIfReady(JSON.stringify({ type: 'SUB', sub: sub.label, filter: sub.filter }));
    try {
      await acked;
    } catch (err) {
      if (err instanceof RelayClientError && err.code === 'rejected' && this.subs.get(sub.label) === sub) {
        // Refused (auth-required:, limit:, invalid:): sending it again would be refused again.
        this.subs.delete(sub.label);
        this.logger.warn('relay refused subscription', { relay: this.url, sub: sub.label, reason: err.reason });
        sub.settle.reject(err);
      }
      // Otherwise the connection ended; the next one subscribes again.
      return;
    }
    try {
      await this.catchUp(sub);
    } catch (err) {
      // The connection ended: the next one subscribes and catches up again.
      if (err instanceof RelayClientError && err.code === 'closed') return;
      // The live subscription stands; what the catch-up missed comes with the next reconnect's.
      this.logger.warn('relay catch-up query failed', { relay: this.url, sub: sub.label, err: (err as Error).message });
    }
    sub.settle.resolve();
  }

  /** QUERY pages, newest first, back from the present until a page brings nothing new. */
  private async catchUp(sub: SubState): Promise<void> {
    const base: Filter = { ...sub.filter };
    if (sub.newest !== undefined) base.since = Math.max(base.since ?? 0, sub.newest - this.limits.resubscribeLookbackSeconds);
    let until = base.until;
    for (let page = 0; page < this.limits.maxCatchUpPages && this.subs.get(sub.label) === sub; page++) {
      let fresh = 0;
      let oldest: number | undefined;
      const filter = until === undefined ? base : { ...base, until };
      await this.runQuery(filter, (m) => {
        if (this.deliver(sub, m)) fresh++;
        oldest = Math.min(oldest ?? m.timestamp, m.timestamp);
      }, undefined);
      // One page only when the caller asked for a limit; otherwise stop when nothing was new.
      if (fresh === 0 || oldest === undefined || sub.filter.limit !== undefined) return;
      until = oldest;
    }
  }

  private runQuery(filter: Filter, onMessage: (m: VerifiedMessage) => void, restart: (() => void) | undefined): Promise<void> {
    if (this.closing) return Promise.reject(new RelayClientError('closed', `relay client for ${this.url} is closed`, { relay: this.url }));
    const label = `q${++this.seq}`;
    const done = this.requests.query(label, filter, onMessage, restart, this.limits.queryTimeoutMs);
    this.sendIfReady(JSON.stringify({ type: 'QUERY', sub: label, filter }));
    return done;
  }

  /** Hands a subscription's envelope to its handler unless already delivered; true when delivered. */
  private deliver(sub: SubState, message: VerifiedMessage): boolean {
    if (!sub.seen.add(message.id)) return false;
    sub.newest = Math.max(sub.newest ?? message.timestamp, message.timestamp);
    try {
      sub.handler(message, { relay: this.url, sub: sub.label });
    } catch (err) {
      this.logger.error('relay message handler failed', { relay: this.url, sub: sub.label, id: message.id, err });
    }
    return true;
  }

  private async unsubscribe(label: string): Promise<void> {
    if (!this.subs.delete(label)) return;
    this.requests.forgetSub(label);
    this.sendIfReady(JSON.stringify({ type: 'UNSUB', sub: label }));
  }

  // --- frames from the relay ---

  private receive(data: RawData, isBinary: boolean): void {
    let frame: RelayFrame;
    try {
      if (isBinary) throw new Error('binary frame');
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const parsed = RelayFrameSchema.safeParse(JSON.parse(buf.toString('utf8')));
      if (!parsed.success) throw new Error(issuesText(parsed.error).slice(0, 200));
      frame = parsed.data;
    } catch (err) {
      this.logger.warn('relay sent a malformed frame', { relay: this.url, err: (err as Error).message });
      return;
    }
    switch (frame.type) {
      case 'CHALLENGE': {
        const waiter = this.challengeWaiter;
        this.challengeWaiter = undefined;
        if (waiter) waiter(frame.challenge);
        else this.challenges.push(frame.challenge);
        return;
      }
      case 'OK':
        return this.requests.ok(frame.command, frame.ref);
      case 'ERROR':
        if (!this.requests.error(frame)) this.logger.warn('relay error', { relay: this.url, command: frame.command, ref: frame.ref, reason: frame.reason.slice(0, 200) });
        return;
      case 'MSG':
        return this.msg(frame.sub, frame.message);
      case 'EOSE':
        return this.requests.eose(frame.sub);
      case 'INVOICE':
        return this.requests.invoice(frame);
      case 'NOTICE':
        this.logger.info('relay notice', { relay: this.url, notice: frame.message.slice(0, 200) });
        this.opts.onNotice?.(frame.message);
        return;
    }
  }

  private msg(label: string, raw: Record<string, unknown>): void {
    const query = this.requests.queries.get(label);
    const sub = query ? undefined : this.subs.get(label);
    if (!query && !sub) return;
    const verified = verifyMessage(raw);
    if (!verified.ok) {
      this.logger.warn('relay sent an envelope that does not verify', { relay: this.url, sub: label, reason: verified.error.message.slice(0, 200) });
      return;
    }
    const filter = query?.filter ?? sub!.filter;
    if (!matchesFilter(verified.message, filter)) {
      this.logger.warn('relay sent an envelope outside the filter', { relay: this.url, sub: label, id: verified.message.id });
      return;
    }
    if (query) query.onMessage(verified.message);
    else this.deliver(sub!, verified.message);
  }
}

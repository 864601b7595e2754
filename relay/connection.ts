// One client connection: a CHALLENGE on open, frames handled in arrival order and answered in
// that order, every failure answered by one ERROR frame (the connection stays open), and the
// two memory bounds: reading pauses while too many frames wait, and a client whose send buffer
// passes the limit gets a NOTICE and is disconnected.
// PUBLISH frames that follow one another are handled together, up to PIPELINED_PUBLISHES at a
// time, their answers held back until those of the frames before them are sent: a client that
// streams envelopes is not held to one database commit per envelope. Any other frame waits
// until every PUBLISH before it is answered, so a QUERY after a PUBLISH finds the envelope.
import type { WebSocket, RawData } from 'ws';
import { toHex } from '../core/bytes.js';
import { AuthState } from './auth.js';
import { errorReason, RelayError } from './errors.js';
import { decodeClientFrame, FrameError, frames, type ClientFrame, type FrameContext, type RelayFrame } from './frames.js';
import { handlePublish } from './publish.js';
import { handleQuery } from './query.js';
import type { RelayContext, RelayPeer } from './context.js';

/** WebSocket close codes the relay uses. */
export const CLOSE_POLICY = 1008;
export const CLOSE_GOING_AWAY = 1001;

/** What the embedding process may observe of connections (metrics); every hook optional. */
export interface RelayHooks {
  /** Seconds one PUBLISH took to handle, refused ones included. */
  readonly observePublish?: (seconds: number) => void;
}

/** Bytes of randomness in a connection id (on every log line about the connection). */
const CONNECTION_ID_BYTES = 6;
/** Most PUBLISH frames of one connection handled at once. */
export const PIPELINED_PUBLISHES = 16;

interface Pending {
  readonly text: string | undefined;
  readonly bytes: number;
}

/** A PUBLISH being handled: its answers (INVOICE, OK or ERROR) wait here for their turn. */
interface InFlight {
  readonly answers: string[];
  readonly bytes: number;
  done: boolean;
  /** Resolves once the answers are sent (or the connection closed). */
  readonly sent: Promise<void>;
  readonly markSent: () => void;
}

export class RelayConnection implements RelayPeer {
  readonly auth: AuthState;
  /** Names the connection in logs. */
  readonly id: string;
  private closing = false;
  private readonly queue: Pending[] = [];
  /** Bytes of the frames waiting in `queue` or being handled. */
  private queuedBytes = 0;
  /** PUBLISHes being handled or waiting to send their answers, oldest first. */
  private readonly inFlight: InFlight[] = [];
  private busy = false;
  private cutTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: RelayContext,
    private readonly ws: WebSocket,
    readonly ip: string,
    private readonly hooks: RelayHooks = {},
  ) {
    this.id = toHex(ctx.rng(CONNECTION_ID_BYTES));
    this.auth = new AuthState(ctx.url, ctx.limits);
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.closed());
    // Socket errors (reset, oversize frame) end the connection; 'close' follows and cleans up.
    ws.on('error', (err) => ctx.logger.debug('connection error', { connection: this.id, ip, err }));
    this.send(frames.challenge(this.auth.issue(ctx.rng)));
  }

  get open(): boolean {
    return !this.closing;
  }

  send(frame: RelayFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    if (this.closing) return;
    this.ws.send(text);
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) this.slowConsumer();
  }

  deliver(sub: string, messageJson: string): void {
    this.sendText(`{"type":"MSG","sub":${JSON.stringify(sub)},"message":${messageJson}}`);
  }

  /** Says why in a NOTICE, closes, and cuts the socket if the close handshake does not finish in time. */
  end(code: number, notice: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ctx.subscriptions.removeAll(this);
    this.dropQueued();
    // Read again, so the client's answer to the close frame arrives (frames are ignored now).
    this.ws.resume();
    this.ws.send(JSON.stringify(frames.notice(notice)));
    this.ws.close(code, notice.slice(0, 120));
    this.cutTimer = setTimeout(() => this.ws.terminate(), this.ctx.limits.slowConsumerGraceMs);
  }

  private slowConsumer(): void {
    const buffered = this.ws.bufferedAmount;
    this.ctx.logger.warn('slow consumer disconnected', { connection: this.id, ip: this.ip, buffered });
    this.end(CLOSE_POLICY, `slow-consumer: more than ${this.ctx.limits.maxBufferedBytes} bytes unread, closing`);
  }

  private closed(): void {
    this.closing = true;
    if (this.cutTimer) clearTimeout(this.cutTimer);
    this.ctx.subscriptions.removeAll(this);
    this.dropQueued();
  }

  /** Forgets the frames not yet handled (those being handled finish, their answers unsent). */
  private dropQueued(): void {
    for (const p of this.queue) this.queuedBytes -= p.bytes;
    this.queue.length = 0;
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    this.queue.push({ text: isBinary ? undefined : buf.toString('utf8'), bytes: buf.length });
    this.queuedBytes += buf.length;
    // Stop reading the socket while frames wait (many, or a frame's worth of bytes): TCP then
    // pushes back on the client, and what one connection holds stays bounded.
    if (this.backlogged()) this.ws.pause();
    if (!this.busy) void this.drain();
  }

  private backlogged(): boolean {
    return this.queue.length >= this.ctx.limits.maxQueuedFrames || this.queuedBytes >= this.ctx.limits.maxFrameBytes;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next && !this.closing; next = this.queue.shift()) {
        // The frame's bytes stay counted until it is answered (backlogged() bounds them).
        const decoded = this.decode(next);
        if (decoded.frame?.type === 'PUBLISH') {
          if (this.inFlight.length >= PIPELINED_PUBLISHES) await this.inFlight[0]!.sent;
          if (!this.closing) this.publish(decoded.frame, next.bytes);
        } else {
          await this.inFlight.at(-1)?.sent;
          if (!this.closing) await this.answer(decoded, this);
          this.queuedBytes -= next.bytes;
        }
        if (this.ws.isPaused && !this.closing && !this.backlogged()) this.ws.resume();
      }
    } finally {
      this.busy = false;
    }
  }

  /** The frame, or the error its text gives (binary, not JSON, not a valid frame). */
  private decode(pending: Pending): { frame?: ClientFrame; error?: unknown } {
    try {
      if (pending.text === undefined) throw new FrameError('binary frames are not accepted; send JSON text');
      return { frame: decodeClientFrame(pending.text) };
    } catch (err) {
      return { error: err };
    }
  }

  /** Handles a decoded frame (or answers its decoding error), sending through `peer`. */
  private async answer(decoded: { frame?: ClientFrame; error?: unknown }, peer: RelayPeer, bytes = 0): Promise<void> {
    let context: FrameContext = {};
    try {
      if (!decoded.frame) throw decoded.error;
      context = contextOf(decoded.frame);
      await this.dispatch(decoded.frame, bytes, peer);
    } catch (err) {
      if (err instanceof FrameError) context = err.context;
      if (!(err instanceof RelayError)) this.ctx.logger.error('frame failed', { connection: this.id, ip: this.ip, command: context.command, err });
      peer.send(frames.error(errorReason(err), context));
    }
  }

  /** Starts a PUBLISH whose answers are sent once those of the PUBLISHes before it are. */
  private publish(frame: ClientFrame, bytes: number): void {
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const slot: InFlight = { answers: [], bytes, done: false, sent, markSent };
    this.inFlight.push(slot);
    const isOpen = () => this.open;
    const peer: RelayPeer = {
      ip: this.ip,
      auth: this.auth,
      get open() {
        return isOpen();
      },
      send: (f) => slot.answers.push(JSON.stringify(f)),
      sendText: (text) => slot.answers.push(text),
      deliver: (sub, json) => this.deliver(sub, json),
    };
    void this.answer({ frame }, peer, bytes).finally(() => {
      slot.done = true;
      this.sendAnswered();
    });
  }

  /** Sends the answers of the finished PUBLISHes at the head of the line, in order. */
  private sendAnswered(): void {
    while (this.inFlight[0]?.done) {
      const slot = this.inFlight.shift()!;
      for (const text of slot.answers) this.sendText(text);
      this.queuedBytes -= slot.bytes;
      slot.markSent();
    }
    if (this.ws.isPaused && !this.closing && !this.backlogged()) this.ws.resume();
  }

  private async dispatch(frame: ClientFrame, bytes: number, peer: RelayPeer): Promise<void> {
    const { ctx } = this;
    switch (frame.type) {
      case 'AUTH':
        this.auth.accept(frame, Math.floor(ctx.now() / 1000));
        ctx.logger.debug('authenticated', { connection: this.id, key: frame.pubkey });
        this.send(frames.ok('AUTH', frame.pubkey));
        // A fresh nonce, so the connection can prove another key.
        this.send(frames.challenge(this.auth.issue(ctx.rng)));
        return;
      case 'SUB': {
        this.auth.assertMayRead(frame.filter);
        const max = ctx.limits.maxSubscriptionsPerConnection;
        if (!ctx.subscriptions.has(this, frame.sub) && ctx.subscriptions.count(this) >= max) {
          throw new RelayError('limit', `at most ${max} subscriptions per connection`);
        }
        ctx.subscriptions.set(this, frame.sub, frame.filter);
        this.send(frames.ok('SUB', frame.sub));
        return;
      }
      case 'UNSUB':
        if (!ctx.subscriptions.remove(this, frame.sub)) throw new RelayError('invalid', `no subscription ${JSON.stringify(frame.sub)}`);
        this.send(frames.ok('UNSUB', frame.sub));
        return;
      case 'QUERY':
        return handleQuery(ctx, this, frame);
      case 'PUBLISH': {
        const start = performance.now();
        try {
          return await handlePublish(ctx, peer, frame, bytes);
        } finally {
          this.hooks.observePublish?.((performance.now() - start) / 1000);
        }
      }
    }
  }
}

/** The command and reference an ERROR about this frame carries. */
function contextOf(frame: ClientFrame): FrameContext {
  switch (frame.type) {
    case 'AUTH':
      return { command: 'AUTH', ref: frame.pubkey };
    case 'PUBLISH': {
      const id = (frame.message as { id?: unknown } | null)?.id;
      return typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? { command: 'PUBLISH', ref: id } : { command: 'PUBLISH' };
    }
    default:
      return { command: frame.type, ref: frame.sub };
  }
}

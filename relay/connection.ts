// One client connection: a CHALLENGE on open, frames handled one at a time in arrival order,
// every failure answered by one ERROR frame (the connection stays open), and the two memory
// bounds: reading pauses while too many frames wait, and a client whose send buffer passes
// the limit gets a NOTICE and is disconnected.
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

interface Pending {
  readonly text: string | undefined;
  readonly bytes: number;
}

export class RelayConnection implements RelayPeer {
  readonly auth: AuthState;
  /** Names the connection in logs. */
  readonly id: string;
  private closing = false;
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
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
    this.queue.length = 0;
    this.queuedBytes = 0;
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
    this.queue.length = 0;
    this.queuedBytes = 0;
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
        this.queuedBytes -= next.bytes;
        await this.handle(next);
        if (this.ws.isPaused && !this.closing && !this.backlogged()) this.ws.resume();
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(pending: Pending): Promise<void> {
    let context: FrameContext = {};
    try {
      if (pending.text === undefined) throw new FrameError('binary frames are not accepted; send JSON text');
      const frame = decodeClientFrame(pending.text);
      context = contextOf(frame);
      await this.dispatch(frame, pending.bytes);
    } catch (err) {
      if (err instanceof FrameError) context = err.context;
      if (!(err instanceof RelayError)) this.ctx.logger.error('frame failed', { connection: this.id, ip: this.ip, command: context.command, err });
      this.send(frames.error(errorReason(err), context));
    }
  }

  private async dispatch(frame: ClientFrame, bytes: number): Promise<void> {
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
          return await handlePublish(ctx, this, frame, bytes);
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

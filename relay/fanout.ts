// Fan-out across processes: several relay processes on one database (gateway workers, or
// nodes behind a load balancer) each hold their own live subscriptions, so a stored envelope
// is announced to the others. The notice carries the id and the header fields filters look at,
// never the envelope (up to 64 MiB, and PostgreSQL's NOTIFY takes 8,000 bytes): a process reads
// the envelopes from relay_messages only when one of its own subscriptions matches, those of
// one payload in one statement.
// Notices of envelopes stored in the same turn of the event loop travel together: one payload,
// one notice per line, at most MAX_NOTICE_CHARS (one Redis PUBLISH or NOTIFY per batch of
// PUBLISHes instead of one each).
import { z } from 'zod';
import { toHex } from '../core/bytes.js';
import type { VerifiedMessage } from '../core/envelope.js';
import { MessageSchema } from '../core/envelope.js';
import type { Rng } from '../core/keys.js';
import type { Queryable } from '../storage/db.js';
import type { RelayLogger } from './context.js';
import type { RelayStore } from './store.js';
import type { Routing, SubscriptionRegistry } from './subscriptions.js';

/** How notices travel between processes: Redis pub/sub or PostgreSQL LISTEN/NOTIFY. */
export interface FanoutTransport {
  /** `redis` or `postgres`, for logs. */
  readonly name: string;
  /** Calls `onMessage` with every payload sent by any process, this one included; resolves once listening. */
  listen(onMessage: (payload: string) => void): Promise<void>;
  /** Hands one payload to every listening process. */
  send(payload: string): Promise<void>;
  /** Stops listening and releases the transport's connections; calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * Longest payload accepted (one notice or several, one per line). The largest notice (100
 * recipients) is under 7,000 characters, so every payload fits PostgreSQL's NOTIFY payload
 * limit of 8,000 bytes; anything longer is not ours.
 */
export const MAX_NOTICE_CHARS = 8_000;
/** Bytes of randomness naming this process in its notices, so it skips its own. */
const ORIGIN_BYTES = 8;

const NoticeSchema = z.strictObject({
  v: z.literal(1),
  origin: z.string().regex(/^[0-9a-f]{16}$/),
  id: MessageSchema.shape.id,
  from: MessageSchema.shape.from,
  to: MessageSchema.shape.to,
  kind: MessageSchema.shape.kind,
  timestamp: MessageSchema.shape.timestamp,
});
type Notice = z.infer<typeof NoticeSchema>;

/** The notice's routing fields, or why the payload is not a notice. */
export function parseNotice(payload: string): { ok: true; notice: Notice } | { ok: false; reason: string } {
  if (payload.length > MAX_NOTICE_CHARS) return { ok: false, reason: `longer than ${MAX_NOTICE_CHARS} characters` };
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = NoticeSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'notice'}: ${i.message}`).join('; ').slice(0, 300) };
  return { ok: true, notice: parsed.data };
}

export interface RelayFanoutDeps {
  readonly subscriptions: SubscriptionRegistry;
  readonly store: RelayStore;
  readonly logger: RelayLogger;
  readonly rng: Rng;
}

/** Each line of a payload as parseNotice sees it (a payload over MAX_NOTICE_CHARS is refused whole). */
export function parseNotices(payload: string): Array<ReturnType<typeof parseNotice>> {
  if (payload.length > MAX_NOTICE_CHARS) return [{ ok: false, reason: `longer than ${MAX_NOTICE_CHARS} characters` }];
  return payload.split('\n').map(parseNotice);
}

/** One relay process's side of the fan-out: announces what it stored, delivers what others stored. */
export class RelayFanout {
  private readonly origin: string;
  /** How every payload this process sends begins (its notices start with `v` and `origin`). */
  private readonly ownPrefix: string;
  private closed = false;
  /** Notices waiting for the end of this turn of the event loop. */
  private batch: string[] = [];
  private batchChars = 0;
  private flushing = false;

  constructor(
    private readonly transport: FanoutTransport,
    private readonly deps: RelayFanoutDeps,
  ) {
    this.origin = toHex(deps.rng(ORIGIN_BYTES));
    this.ownPrefix = `{"v":1,"origin":"${this.origin}"`;
  }

  start(): Promise<void> {
    return this.transport.listen((payload) => this.receive(payload));
  }

  /**
   * Tells the other processes about an envelope this one stored (and delivered to its own
   * subscribers). Not awaited: the envelope is stored either way, and a subscriber that
   * missed it finds it with QUERY.
   */
  announce(message: VerifiedMessage): void {
    const { id, from, to, kind, timestamp } = message;
    const notice: Notice = { v: 1, origin: this.origin, id, from, to, kind, timestamp };
    const text = JSON.stringify(notice);
    if (this.batchChars + text.length + 1 > MAX_NOTICE_CHARS) this.flush();
    this.batch.push(text);
    this.batchChars += text.length + 1;
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      this.flush();
    });
  }

  close(): Promise<void> {
    this.flush();
    this.closed = true;
    return this.transport.close();
  }

  private flush(): void {
    if (this.batch.length === 0 || this.closed) return;
    const notices = this.batch.length;
    const payload = this.batch.join('\n');
    this.batch = [];
    this.batchChars = 0;
    this.transport.send(payload).catch((err: unknown) => {
      if (!this.closed) this.deps.logger.warn('relay fan-out send failed', { transport: this.transport.name, notices, err });
    });
  }

  private receive(payload: string): void {
    // This process delivered its own envelopes when it stored them.
    if (this.closed || payload.startsWith(this.ownPrefix)) return;
    const wanted: Routing[] = [];
    for (const parsed of parseNotices(payload)) {
      if (!parsed.ok) {
        this.deps.logger.warn('relay fan-out message ignored', { transport: this.transport.name, reason: parsed.reason });
        continue;
      }
      const { notice } = parsed;
      if (notice.origin !== this.origin && this.deps.subscriptions.wants(notice)) wanted.push(notice);
    }
    if (wanted.length > 0) void this.deliver(wanted);
  }

  /** One read for the wanted envelopes of a payload, then each to its subscribers in the payload's order. */
  private async deliver(wanted: readonly Routing[]): Promise<void> {
    try {
      const stored = await this.deps.store.envelopesJson(wanted.map((r) => r.id));
      for (const routing of wanted) {
        const json = stored.get(routing.id);
        if (json === undefined) this.deps.logger.debug('relay fan-out: envelope no longer stored', { id: routing.id });
        else if (!this.closed) this.deps.subscriptions.fanOutJson(routing, json);
      }
    } catch (err) {
      this.deps.logger.warn('relay fan-out read failed', { ids: wanted.length, err });
    }
  }
}

export interface FanoutTransportOptions {
  /** Redis, when the deployment has one (preferred: it carries nothing through the database). */
  readonly redisUrl?: string | undefined;
  /** PostgreSQL's URL: LISTEN/NOTIFY when there is no Redis. Unset (embedded PGlite): no fan-out. */
  readonly postgresUrl?: string | undefined;
  /** Sends NOTIFY (the relay's own pool); needed with `postgresUrl`. */
  readonly db: Queryable;
  /** Separates deployments sharing one Redis or one PostgreSQL database. */
  readonly namespace: string;
  readonly logger: RelayLogger;
}

/** Redis if configured, else PostgreSQL LISTEN/NOTIFY, else undefined (one process: nothing to fan out to). */
export async function createFanoutTransport(opts: FanoutTransportOptions): Promise<FanoutTransport | undefined> {
  if (opts.redisUrl !== undefined) {
    const { openRedisFanout } = await import('./fanout-redis.js');
    return openRedisFanout({ url: opts.redisUrl, namespace: opts.namespace, logger: opts.logger });
  }
  if (opts.postgresUrl !== undefined) {
    const { openPostgresFanout } = await import('./fanout-postgres.js');
    return openPostgresFanout({ url: opts.postgresUrl, db: opts.db, namespace: opts.namespace, logger: opts.logger });
  }
  return undefined;
}

// A minimal relay client for tests: connects with ws, keeps every frame it receives in order
// and hands them out one at a time, so tests assert exact frame sequences.
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { createMemoryCounters, type Counters } from '../../storage/counters.js';
import type { Db } from '../../storage/db.js';
import { deterministicRng } from '../../core/deterministic-rng.js';
import { identityFromPrivateKey, type Identity } from '../../core/keys.js';
import { sha256 } from '../../core/hash.js';
import { utf8 } from '../../core/bytes.js';
import { createMessage, type VerifiedMessage } from '../../core/envelope.js';
import { signAuth } from '../../relay/auth.js';
import { startRelayServer, type RunningRelay, type RelayServerOptions } from '../../relay/server.js';
import type { RelayLogger } from '../../relay/context.js';
import { openTestDb, type TestDb } from './databases.js';

/** The relay's clock in these tests: a fixed instant, so timestamps and expiry are exact. */
export const NOW_MS = 1_800_000_000_000;
export const NOW_S = NOW_MS / 1000;

export type Frame = Record<string, unknown>;

export class TestClient {
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | undefined;
  /** The most recent CHALLENGE nonce. */
  challenge = '';
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly url: string,
  ) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'CHALLENGE') this.challenge = frame.challenge as string;
      this.frames.push(frame);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Connects and consumes the CHALLENGE the relay sends first. */
  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    const client = new TestClient(ws, url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const first = await client.next();
    if (first.type !== 'CHALLENGE') throw new Error(`expected CHALLENGE first, got ${JSON.stringify(first)}`);
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame, waiting up to `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no frame within the timeout');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.frames.shift()!;
  }

  /** Sends a frame and returns the next one. */
  async request(frame: unknown): Promise<Frame> {
    this.send(frame);
    return this.next();
  }

  /** Frames up to and including the first of `type`. */
  async until(type: string): Promise<Frame[]> {
    const out: Frame[] = [];
    for (;;) {
      const f = await this.next();
      out.push(f);
      if (f.type === type) return out;
    }
  }

  /** AUTHs as `id` with the current challenge; checks the OK and the fresh CHALLENGE. */
  async auth(id: Identity, timestamp = NOW_S): Promise<void> {
    const ok = await this.request(signAuth({ privateKey: id.privateKey, relay: this.url, challenge: this.challenge, timestamp }, deterministicRng(`auth-${this.challenge}`)));
    if (ok.type !== 'OK') throw new Error(`AUTH failed: ${JSON.stringify(ok)}`);
    const next = await this.next();
    if (next.type !== 'CHALLENGE') throw new Error(`expected a fresh CHALLENGE, got ${JSON.stringify(next)}`);
  }

  async publish(message: unknown): Promise<Frame> {
    return this.request({ type: 'PUBLISH', message });
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.resume();
      this.ws.close();
      await this.closed;
    }
  }
}

/** A test identity from a name (no mnemonic: faster, still a real key). */
export function identity(name: string): Identity {
  return identityFromPrivateKey(sha256(utf8(`relay-test:${name}`)));
}

let seq = 0;
/** A real signed and sealed envelope from `from` to `to`; each call makes a new one. */
export function envelope(from: Identity, to: Identity[], opts: { timestamp?: number; kind?: number; expiry?: number; body?: string } = {}): VerifiedMessage {
  seq++;
  return createMessage(
    {
      privateKey: from.privateKey,
      to: to.map((t) => t.publicKey),
      content: { type: 'text', body: opts.body ?? `hello ${seq}` },
      timestamp: opts.timestamp ?? NOW_S - 1000,
      ...(opts.kind !== undefined ? { kind: opts.kind as 1 } : {}),
      ...(opts.expiry !== undefined ? { expiry: opts.expiry } : {}),
    },
    deterministicRng(`envelope-${seq}-${from.publicKey}`),
  );
}

/** The envelope as it comes back from the store (a JSON round trip). */
export function asStored(message: VerifiedMessage): Frame {
  return JSON.parse(JSON.stringify(message)) as Frame;
}

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown> | undefined;
}

export function memoryLogger(lines: LogLine[] = []): RelayLogger & { lines: LogLine[] } {
  const at = (level: string) => (msg: string, fields?: Readonly<Record<string, unknown>>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A relay on 127.0.0.1 with the fixed clock, in-memory counters and a memory logger. */
export async function startTestRelay(db: Db, opts: Partial<RelayServerOptions> = {}): Promise<RunningRelay & { logger: ReturnType<typeof memoryLogger>; counters: Counters }> {
  const logger = memoryLogger();
  const counters = createMemoryCounters(() => NOW_MS);
  const relay = await startRelayServer({ host: '127.0.0.1', port: 0, db, counters, logger, now: () => NOW_MS, rng: deterministicRng(`relay-${++seq}`), ...opts });
  return Object.assign(relay, { logger, counters });
}

/**
 * For a test file whose relays share one PostgreSQL test database: `relay()` starts one,
 * `connect()` opens a client; both are closed after the file's tests, then the database.
 */
export function relaysOnPostgres() {
  let t: TestDb | undefined;
  const running: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    t = await openTestDb('postgres');
  });
  afterAll(async () => {
    for (const r of running.reverse()) await r.close();
    await t?.dispose();
  });
  return {
    get db(): Db {
      return t!.db;
    },
    async relay(opts: Partial<RelayServerOptions> = {}) {
      const relay = await startTestRelay(t!.db, opts);
      running.push(relay);
      return relay;
    },
    async connect(url: string): Promise<TestClient> {
      const c = await TestClient.connect(url);
      running.push(c);
      return c;
    },
  };
}

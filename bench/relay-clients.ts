// WebSocket clients of the relay benchmark: one connection that answers requests in order
// (the relay handles a connection's frames one at a time) and hands MSG frames, unparsed and
// time-stamped, to a callback; and helpers to open many, AUTH and SUB.
import WebSocket from 'ws';
import { signAuth } from '../relay/auth.js';
import type { Identity } from '../core/keys.js';
import { systemRng } from '../services/random.js';

export type Frame = { type: string } & Record<string, unknown>;

const MSG_PREFIX = '{"type":"MSG"';

export class BenchConnection {
  challenge = '';
  /** Receives every MSG frame's text and the performance.now() of its arrival. */
  onMsg: ((text: string, at: number) => void) | undefined;
  private readonly waiting: Array<(frame: Frame) => void> = [];

  private constructor(
    readonly ws: WebSocket,
    readonly url: string,
  ) {
    ws.on('message', (data) => {
      const at = performance.now();
      const text = String(data);
      if (text.startsWith(MSG_PREFIX)) return this.onMsg?.(text, at);
      const frame = JSON.parse(text) as Frame;
      if (frame.type === 'CHALLENGE') this.challenge = String(frame.challenge);
      else this.waiting.shift()?.(frame);
    });
  }

  /** Connects and waits for the first CHALLENGE. */
  static async open(url: string): Promise<BenchConnection> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c = new BenchConnection(ws, url);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      const check = () => (c.challenge ? resolve() : setTimeout(check, 2));
      ws.once('open', check);
    });
    return c;
  }

  /** Sends a serialised frame; resolves with the relay's answer (OK or ERROR). */
  request(text: string): Promise<Frame> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.ws.send(text);
    });
  }

  async expectOk(text: string): Promise<void> {
    const answer = await this.request(text);
    if (answer.type !== 'OK') throw new Error(`relay answered ${JSON.stringify(answer)}`);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** `count` connections, opened `concurrency` at a time. */
export async function openMany(url: string, count: number, concurrency = 50): Promise<BenchConnection[]> {
  const out: BenchConnection[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next++;
        out.push(await BenchConnection.open(url));
      }
    }),
  );
  return out;
}

/** AUTH as `id` and subscribe to envelopes addressed to it. */
export async function subscribe(c: BenchConnection, id: Identity): Promise<void> {
  const auth = signAuth({ privateKey: id.privateKey, relay: c.url, challenge: c.challenge, timestamp: Math.floor(Date.now() / 1000) }, systemRng);
  await c.expectOk(JSON.stringify(auth));
  await c.expectOk(JSON.stringify({ type: 'SUB', sub: 'bench', filter: { to: [id.publicKey] } }));
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

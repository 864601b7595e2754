// Server-Sent Events (the WHATWG EventSource format) over a streamed HttpResponse: events,
// comments and a periodic ping. The pay page's status uses it; JMAP's EventSource will too.
import { SSE_PING_INTERVAL_MS } from './limits.js';
import type { HttpResponse } from './types.js';

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export interface SseSink {
  /** One event; `data` may span lines (each becomes its own `data:` line). */
  event(name: string, data: string): void;
  /** A comment line, which clients ignore (pings). */
  comment(text: string): void;
}

export interface SseOptions {
  /** How often a `: ping` comment is sent while the stream is open. */
  readonly pingIntervalMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A 200 text/event-stream response that runs `produce` until it returns or `signal` aborts
 * (client gone, server closing), pinging meanwhile; the stream ends when `produce` returns.
 */
export function sseResponse(produce: (sink: SseSink, signal: AbortSignal) => Promise<void>, options: SseOptions = {}): HttpResponse {
  const pingIntervalMs = options.pingIntervalMs ?? SSE_PING_INTERVAL_MS;
  return {
    status: 200,
    headers: {
      'content-type': SSE_CONTENT_TYPE,
      'cache-control': 'no-store',
      // Reverse proxies (nginx) would otherwise hold events back in their buffers.
      'x-accel-buffering': 'no',
      ...options.headers,
    },
    body: '',
    async stream(write, signal) {
      const sink: SseSink = {
        event: (name, data) => write(formatEvent(name, data)),
        comment: (text) => write(formatComment(text)),
      };
      const ping = setInterval(() => sink.comment('ping'), pingIntervalMs);
      try {
        await produce(sink, signal);
      } finally {
        clearInterval(ping);
      }
    },
  };
}

/** `event:` and `data:` lines and the blank line ending the event. Names are single tokens. */
export function formatEvent(name: string, data: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new RangeError(`invalid SSE event name ${JSON.stringify(name)}`);
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `event: ${name}\n${lines.join('')}\n`;
}

export function formatComment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `: ${line}\n`)
    .join('')
    .concat('\n');
}

/** A promise that resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

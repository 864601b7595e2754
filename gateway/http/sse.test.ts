// Streamed responses through a real HTTP server on 127.0.0.1: Server-Sent Events framing,
// pings, a stream that ends itself, a client that goes away, a client that does not read,
// HEAD, a failing stream, and closeHttpServer ending open streams instead of hanging.
import { get, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serveRoutes } from '../../test/helpers/http-routes.js';
import { createLogger } from '../log.js';
import { MAX_STREAM_BUFFER_BYTES } from './limits.js';
import { closeHttpServer } from './server.js';
import { aborted, formatComment, formatEvent, sseResponse, type SseSink } from './sse.js';
import type { Route } from './types.js';

describe('SSE framing', () => {
  it('writes event, data lines and the blank line', () => {
    expect(formatEvent('state', '{"state":"held"}')).toBe('event: state\ndata: {"state":"held"}\n\n');
    expect(formatEvent('x', 'a\nb\r\nc')).toBe('event: x\ndata: a\ndata: b\ndata: c\n\n');
    expect(formatComment('ping')).toBe(': ping\n\n');
  });

  it('refuses event names that would break the framing', () => {
    expect(() => formatEvent('a\nevent: b', 'x')).toThrow(new RangeError('invalid SSE event name "a\\nevent: b"'));
    expect(() => formatEvent('', 'x')).toThrow(RangeError);
  });
});

/** A streamed reply read as it arrives. */
interface Reading {
  readonly response: IncomingMessage;
  /** Resolves with all text so far once it contains `text`. */
  until(text: string): Promise<string>;
  /** Resolves with all text when the body ended cleanly; rejects if the connection was cut. */
  readonly ended: Promise<string>;
}

function read(url: string): Promise<Reading> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let text = '';
      const waiters: { text: string; resolve: (all: string) => void }[] = [];
      response.setEncoding('utf8');
      const ended = new Promise<string>((done, fail) => {
        response.on('end', () => done(text));
        response.on('aborted', () => fail(new Error('the connection was cut')));
        response.on('error', fail);
      });
      ended.catch(() => {});
      response.on('data', (chunk: string) => {
        text += chunk;
        for (const w of [...waiters]) {
          if (text.includes(w.text)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(text);
          }
        }
      });
      const until = (wanted: string) =>
        text.includes(wanted) ? Promise.resolve(text) : new Promise<string>((r) => waiters.push({ text: wanted, resolve: r }));
      resolve({ response, until, ended });
    }).on('error', reject);
  });
}

describe('streamed responses', () => {
  let server: Server | undefined;
  const logged: string[] = [];
  const logger = createLogger({ level: 'error', write: (line) => void logged.push(line) });

  async function serve(routes: Route[]): Promise<string> {
    const served = await serveRoutes(routes, logger);
    server = served.server;
    return served.base;
  }

  afterEach(async () => {
    if (server) await closeHttpServer(server);
    server = undefined;
    logged.length = 0;
  });

  it('sends SSE headers and events, then ends when the producer returns', async () => {
    const base = await serve([
      {
        path: '/events',
        methods: {
          GET: () =>
            sseResponse(async (sink) => {
              sink.event('one', '1');
              sink.event('two', '{"n":2}');
            }),
        },
      },
    ]);
    const reading = await read(`${base}/events`);
    expect(reading.response.statusCode).toBe(200);
    expect(reading.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reading.response.headers['cache-control']).toBe('no-store');
    expect(reading.response.headers['content-length']).toBeUndefined();
    expect(await reading.ended).toBe('event: one\ndata: 1\n\nevent: two\ndata: {"n":2}\n\n');
  });

  it('pings with a comment while the stream is open', async () => {
    let done = (): void => {};
    const base = await serve([
      {
        path: '/events',
        methods: { GET: () => sseResponse((sink, signal) => Promise.race([new Promise<void>((r) => (done = r)), aborted(signal)]), { pingIntervalMs: 20 }) },
      },
    ]);
    const reading = await read(`${base}/events`);
    expect(await reading.until(': ping\n\n: ping\n\n')).toMatch(/^(: ping\n\n)+$/);
    done();
    await reading.ended;
  });

  it('aborts the stream when the client goes away', async () => {
    let signalled = (): void => {};
    const gone = new Promise<void>((r) => (signalled = r));
    const base = await serve([
      {
        path: '/events',
        methods: {
          GET: () =>
            sseResponse(async (sink: SseSink, signal) => {
              sink.event('hello', 'x');
              await aborted(signal);
              sink.event('late', 'dropped'); // a write after the abort is ignored
              signalled();
            }),
        },
      },
    ]);
    const reading = await read(`${base}/events`);
    await reading.until('event: hello');
    reading.response.destroy();
    await gone;
    expect(logged).toEqual([]);
  });

  it('ends the stream of a client that stops reading once the buffer limit is passed', async () => {
    let stopped: (writes: number) => void = () => {};
    const result = new Promise<number>((r) => (stopped = r));
    const chunk = 'x'.repeat(64 * 1024);
    const base = await serve([
      {
        path: '/flood',
        methods: {
          GET: () => ({
            status: 200,
            headers: { 'content-type': 'text/plain' },
            body: '',
            async stream(write, signal) {
              let writes = 0;
              while (!signal.aborted) {
                write(chunk);
                writes++;
                await new Promise((r) => setImmediate(r));
              }
              stopped(writes);
            },
          }),
        },
      },
    ]);
    const reading = await read(`${base}/flood`);
    reading.response.pause();
    const writes = await result;
    expect(writes * chunk.length).toBeGreaterThan(MAX_STREAM_BUFFER_BYTES);
    reading.response.resume(); // reading again, the client finds the connection cut
    await expect(reading.ended).rejects.toThrow('the connection was cut');
  });

  it('answers HEAD with the headers only, without running the stream', async () => {
    let ran = false;
    const base = await serve([
      {
        path: '/events',
        methods: {
          GET: () =>
            sseResponse(async () => {
              ran = true;
            }),
        },
      },
    ]);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(`${base}/events`, { method: 'HEAD' }, resolve).on('error', reject).end();
    });
    response.resume();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(ran).toBe(false);
  });

  it('logs a stream that throws and ends the response', async () => {
    const base = await serve([
      {
        path: '/events',
        methods: {
          GET: () =>
            sseResponse(async (sink) => {
              sink.event('first', '1');
              throw new Error('producer broke');
            }),
        },
      },
    ]);
    const reading = await read(`${base}/events`);
    expect(await reading.ended).toBe('event: first\ndata: 1\n\n');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('response stream failed');
  });

  it('closeHttpServer ends open streams cleanly instead of waiting for them', async () => {
    let returned = false;
    const base = await serve([
      {
        path: '/events',
        methods: {
          GET: () =>
            sseResponse(async (sink, signal) => {
              sink.event('open', '1');
              await aborted(signal);
              returned = true;
            }),
        },
      },
    ]);
    const readings = await Promise.all([read(`${base}/events`), read(`${base}/events`)]);
    await Promise.all(readings.map((r) => r.until('event: open')));
    await closeHttpServer(server!);
    server = undefined;
    // A clean end of the body, not a cut connection (which is what the grace timeout does).
    for (const r of readings) expect(await r.ended).toBe('event: open\ndata: 1\n\n');
    expect(returned).toBe(true);
  });
});

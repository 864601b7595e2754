// An HTTP/1.1 request written by hand over node:net, for tests that need control of the body:
// send the head and part of a declared body, see what the server answers before the rest,
// and whether it closes the connection.
import { connect } from 'node:net';

/** A reply as read from the socket: the `date` header left out, header names lowercase. */
export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RawRequest {
  /** Writes more of the body. */
  send(bytes: string | Uint8Array): void;
  /** Resolves with everything received so far once it contains `text`; rejects after `waitMs`. */
  until(text: string, waitMs?: number): Promise<string>;
  /** Resolves with everything received when the server closes the connection; rejects after `waitMs`. */
  closed(waitMs?: number): Promise<string>;
  /** Everything received so far. */
  received(): string;
  /** Closes the connection from this side. */
  destroy(): void;
}

/** How long a test waits for a reply or a close before failing (the server's own request timeout is 30 s). */
export const RAW_REPLY_WAIT_MS = 5_000;

/**
 * Opens a connection to `base` (http://host:port) and writes `POST path` with `headers` (the
 * caller gives Content-Length) and the first bytes of the body, `body`, without ending it.
 */
export function rawRequest(base: string, path: string, headers: Readonly<Record<string, string>>, body: string | Uint8Array = ''): RawRequest {
  const url = new URL(base);
  const socket = connect(Number(url.port), url.hostname);
  let text = '';
  let ended = false;
  let failure: Error | undefined;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    changed();
  });
  socket.on('end', () => {
    ended = true;
    socket.end();
    changed();
  });
  socket.on('error', (err) => {
    failure = err;
    changed();
  });
  const head = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  socket.write(head);
  if (body.length > 0) socket.write(body);

  const waitFor = (done: () => boolean, what: string, waitMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (done()) finish(() => resolve(text));
        else if (failure) finish(() => reject(failure));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${what} within ${waitMs} ms; received: ${JSON.stringify(text.slice(0, 200))}`))), waitMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        then();
      };
      listeners.add(check);
      check();
    });

  return {
    send: (bytes) => void socket.write(bytes),
    until: (wanted, waitMs = RAW_REPLY_WAIT_MS) => waitFor(() => text.includes(wanted), `no ${JSON.stringify(wanted)}`, waitMs),
    closed: (waitMs = RAW_REPLY_WAIT_MS) => waitFor(() => ended, 'the server did not close the connection', waitMs),
    received: () => text,
    destroy: () => socket.destroy(),
  };
}

/** The first response in `text` (after any 100 Continue); its body is as long as its Content-Length says. */
export function parseRawReply(text: string): RawReply {
  const rest = text.replace(/^(?:HTTP\/1\.1 100 Continue\r\n\r\n)+/, '');
  const end = rest.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
  if (!status) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name !== 'date') headers[name] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  return { status: Number(status[1]), headers, body: rest.slice(end + 4, end + 4 + length) };
}

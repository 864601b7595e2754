// A raw IMAP client for tests: exact response lines, nothing smoothed over. `command` sends
// one tagged command and returns every line up to and including its tagged completion;
// STARTTLS upgrades the same session in place. Literals in responses are kept inline.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export class RawImapSession {
  #socket: Socket;
  #buffered = '';
  #lines: string[] = [];
  #waiters: Array<() => void> = [];
  #tag = 0;
  closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = this.#attach(socket);
  }

  #attach(socket: Socket): Promise<void> {
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      this.#buffered += chunk;
      let i;
      while ((i = this.#buffered.indexOf('\r\n')) !== -1) {
        this.#lines.push(this.#buffered.slice(0, i));
        this.#buffered = this.#buffered.slice(i + 2);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    return new Promise((resolve) =>
      socket.once('close', () => {
        for (const w of this.#waiters.splice(0)) w();
        resolve();
      }),
    );
  }

  /** Connects (TLS from the first byte with `tls`, sending SNI `servername`) and returns the session with its greeting. */
  static async open(port: number, opts: { tls?: boolean; servername?: string } = {}): Promise<{ session: RawImapSession; greeting: string }> {
    const socket = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...(opts.servername ? { servername: opts.servername } : {}) })
      : connect(port, '127.0.0.1');
    const session = new RawImapSession(socket);
    const greeting = await session.line();
    return { session, greeting };
  }

  /** The next response line. */
  async line(): Promise<string> {
    while (this.#lines.length === 0) {
      if (this.#socket.destroyed || this.#socket.readableEnded) throw new Error(`closed; unparsed: ${JSON.stringify(this.#buffered)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#lines.shift()!;
  }

  /** Sends `<tag> <text>` and returns the lines up to and including the tagged completion. */
  async command(text: string): Promise<string[]> {
    const tag = `T${++this.#tag}`;
    this.#socket.write(`${tag} ${text}\r\n`, 'latin1');
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      lines.push(l);
      if (l.startsWith(`${tag} `)) return lines;
    }
  }

  /** Lines up to and including the one tagged `tag` (after a `write` of several commands). */
  async until(tag: string): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      lines.push(l);
      if (l.startsWith(`${tag} `)) return lines;
    }
  }

  /** Every line the server sends until it closes the connection. */
  async rest(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      try {
        lines.push(await this.line());
      } catch {
        return lines;
      }
    }
  }

  /** Lines that arrive within `ms` (for asserting that nothing more is sent). */
  async linesWithin(ms: number): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#lines.splice(0);
  }

  write(text: string): void {
    this.#socket.write(text, 'latin1');
  }

  /** Sends STARTTLS, expects OK and continues over TLS (any certificate accepted). */
  async startTls(): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (!/^T\d+ OK/.test(reply.at(-1) ?? '')) throw new Error(`STARTTLS refused: ${reply.join(' | ')}`);
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.#socket = secure;
    this.closed = this.#attach(secure);
  }

  end(): void {
    this.#socket.end();
  }
}

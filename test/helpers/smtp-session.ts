// A raw SMTP client for tests: exact reply lines, nothing smoothed over. Replies are parsed
// as they arrive (multi-line replies joined), kept in order, and handed out one per reply();
// STARTTLS upgrades the same session in place.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export class RawSession {
  #socket: Socket;
  #buffered = '';
  #isClosed = false;
  readonly #unclaimed: string[] = [];
  readonly #waiting: Array<{ resolve: (reply: string) => void; reject: (err: Error) => void }> = [];
  /** Every reply received, in order. */
  readonly received: string[] = [];
  closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = this.#attach(socket);
  }

  #attach(socket: Socket): Promise<void> {
    socket.setEncoding('latin1');
    // A server that cuts a client off mid-write makes the write fail (EPIPE, ECONNRESET); the
    // test looks at the replies and the close, not at that error.
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      this.#buffered += chunk;
      for (;;) {
        const m = /^(?:\d{3}-[^\n]*\r\n)*\d{3}(?: [^\n]*)?\r\n/.exec(this.#buffered);
        if (!m) break;
        this.#buffered = this.#buffered.slice(m[0].length);
        const reply = m[0].trimEnd();
        this.received.push(reply);
        const next = this.#waiting.shift();
        if (next) next.resolve(reply);
        else this.#unclaimed.push(reply);
      }
    });
    return new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        for (const w of this.#waiting.splice(0)) w.reject(new Error(`closed before a reply; unparsed: ${JSON.stringify(this.#buffered)}`));
        resolve();
      }),
    );
  }

  /** Connects without waiting for the greeting. */
  static connect(port: number): RawSession {
    return new RawSession(connect(port, '127.0.0.1'));
  }

  /** Connects and waits for the greeting, which is returned with the session. */
  static async open(port: number): Promise<{ session: RawSession; greeting: string }> {
    const session = RawSession.connect(port);
    const greeting = await session.reply();
    return { session, greeting };
  }

  /** Sends STARTTLS, expects 220 and continues over TLS (any certificate accepted). */
  async startTls(): Promise<void> {
    const reply = await this.send('STARTTLS\r\n');
    if (!reply.startsWith('220 ')) throw new Error(`STARTTLS refused: ${reply}`);
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.#socket = secure;
    this.closed = this.#attach(secure);
  }

  reply(): Promise<string> {
    const queued = this.#unclaimed.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#isClosed) return Promise.reject(new Error(`closed before a reply; unparsed: ${JSON.stringify(this.#buffered)}`));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  async replies(n: number): Promise<string[]> {
    const all: string[] = [];
    for (let i = 0; i < n; i++) all.push(await this.reply());
    return all;
  }

  write(bytes: string | Buffer): void {
    this.#socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Writes and waits for the next reply. */
  send(bytes: string | Buffer): Promise<string> {
    this.write(bytes);
    return this.reply();
  }

  end(): void {
    this.#socket.end();
  }
}

// A remote MX on 127.0.0.1 for tests of outgoing mail: `unknown@` gets 550, `busy@` 451;
// everything it sees is recorded, and `until` waits for what a test expects.
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** How long `until` waits. */
const WAIT_MS = 20_000;

export interface Received {
  readonly from: string;
  readonly to: string[];
  readonly data: Buffer;
}

export class RemoteMx {
  readonly received: Received[] = [];
  readonly rcpts: string[] = [];
  connections = 0;
  maxConnections = 0;
  readonly #server: SMTPServer;
  readonly #listeners = new Set<() => void>();
  #held: Promise<void> | undefined;
  port = 0;

  constructor() {
    const reply = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH'],
      hideSTARTTLS: true,
      hideENHANCEDSTATUSCODES: true,
      disableReverseLookup: true,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        this.rcpts.push(address.address);
        this.#changed();
        const local = address.address.split('@')[0];
        const answer = () => {
          if (local === 'unknown') return callback(reply(550, '5.1.1 no such user'));
          if (local === 'busy') return callback(reply(451, '4.2.1 mailbox busy, try later'));
          callback();
        };
        if (this.#held) void this.#held.then(answer);
        else answer();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const { mailFrom, rcptTo } = session.envelope;
          this.received.push({ from: mailFrom === false ? '' : mailFrom.address, to: rcptTo.map((r) => r.address), data: Buffer.concat(chunks) });
          callback();
          this.#changed();
        });
      },
    });
    this.#server.server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.maxConnections = Math.max(this.maxConnections, this.connections);
      socket.once('close', () => (this.connections -= 1));
    });
  }

  async listen(): Promise<void> {
    this.port = await new Promise<number>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        const address = this.#server.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  }

  /** Holds every RCPT TO reply until the returned function is called. */
  hold(): () => void {
    let release = () => {};
    this.#held = new Promise((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  reset(): void {
    this.received.length = 0;
    this.rcpts.length = 0;
    this.maxConnections = this.connections;
  }

  /** Resolves once `done()` holds (checked after each recorded event); rejects after WAIT_MS. */
  until(what: string, done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`the remote MX did not see ${what} within ${WAIT_MS} ms`));
      }, WAIT_MS);
      this.#listeners.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

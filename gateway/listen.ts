// Binding the gateway's listeners (HTTP, the relay, smtp-server for the MX and submission, the
// IMAP engine): a bind failure is one clear `listen_failed` error; after the bind, errors of
// single connections are logged, never fatal.
import { GatewayError } from './errors.js';
import type { Logger } from './log.js';

const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
};

/** The one error for a listener that cannot bind: `listen_failed`, naming address, service and reason. */
export function listenFailed(err: NodeJS.ErrnoException, host: string, port: number, service: string): GatewayError {
  const reason = (err.code === undefined ? undefined : LISTEN_FAILURES[err.code]) ?? err.message;
  return new GatewayError('listen_failed', `cannot listen on ${host}:${port} (${service}): ${reason}`, { cause: err });
}

/** What node:net-like servers offer for binding. */
export interface Bindable {
  listen(port: number, host: string, callback: () => void): unknown;
  once(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  off(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
}

/** Binds `server` and resolves with the port actually bound, read through `address`. */
export function bindPort(server: Bindable, address: () => unknown, host: string, port: number, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenFailed(err, host, port, service));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const bound = address() as { port: number } | string | null;
      resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
    });
  });
}

/** What both server libraries offer: node:net's listen and close, with the net server on `.server`. */
export interface ProtocolServer extends Bindable {
  close(callback: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  readonly server: { address(): unknown };
}

export interface Listener {
  readonly port: number;
  /** Stops accepting, lets sessions finish for the server's closeTimeout, then cuts them with 421. */
  close(): Promise<void>;
}

export async function listenServer(server: ProtocolServer, host: string, port: number, service: string, logger: Logger): Promise<Listener> {
  const bound = await bindPort(server, () => server.server.address(), host, port, service);
  server.on('error', (err) => logger.warn('connection error', { err }));
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}

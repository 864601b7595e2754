// Binding a protocol server (smtp-server for the MX and submission, the IMAP engine for
// IMAP): a bind failure is one clear `listen_failed` error; after the bind, errors of single
// connections are logged, never fatal.
import { GatewayError } from './errors.js';
import type { Logger } from './log.js';

/** What both server libraries offer: node:net's listen and close, with the net server on `.server`. */
export interface ProtocolServer {
  listen(port: number, host: string, callback: () => void): unknown;
  close(callback: () => void): unknown;
  once(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  off(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  readonly server: { address(): unknown };
}

export interface Listener {
  readonly port: number;
  /** Stops accepting, lets sessions finish for the server's closeTimeout, then cuts them with 421. */
  close(): Promise<void>;
}

export async function listenServer(server: ProtocolServer, host: string, port: number, service: string, logger: Logger): Promise<Listener> {
  const bound = await new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new GatewayError('listen_failed', `cannot listen on ${host}:${port} (${service}): ${reason}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.server.address() as { port: number } | string | null;
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
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

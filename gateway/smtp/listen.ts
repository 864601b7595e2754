// Binding an smtp-server instance: a bind failure is one clear `listen_failed` error; after
// the bind, errors of single connections are logged, never fatal. Shared by the MX and the
// submission listeners.
import type { SMTPServer } from 'smtp-server';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';

export interface SmtpListener {
  readonly port: number;
  /** Stops accepting, lets sessions finish for the server's closeTimeout, then cuts them with 421. */
  close(): Promise<void>;
}

export async function listenSmtp(server: SMTPServer, host: string, port: number, service: string, logger: Logger): Promise<SmtpListener> {
  const bound = await new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new GatewayError('listen_failed', `cannot listen on ${host}:${port} (${service}): ${reason}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.server.address();
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

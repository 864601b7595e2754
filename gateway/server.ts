// The gateway process: starts every listener for a loaded configuration and stops them
// again. For now that is the HTTP listener; SMTP, IMAP, JMAP and the relay join here.
import type { Server } from 'node:http';
import type { Config } from '../config/schema.js';
import { GatewayError } from './errors.js';
import { createGatewayRouter } from './http/gateway-router.js';
import { closeHttpServer, createHttpServer } from './http/server.js';
import type { Logger } from './log.js';
import { VERSION } from './version.js';

export interface RunningGateway {
  /** The HTTP port actually bound (differs from the config when it asked for port 0). */
  readonly httpPort: number;
  /** Stops accepting, finishes or cuts requests in flight, and resolves once closed. */
  close(): Promise<void>;
}

export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const httpLog = logger.child({ service: 'http' });
  const http = createHttpServer(createGatewayRouter({ version: VERSION }), httpLog);
  const httpPort = await listen(http, config.listenHost, config.ports.http, 'http');
  // After a successful bind, server errors are rare and not fatal; an unhandled 'error'
  // event would crash the process with a stack trace.
  http.on('error', (err) => httpLog.error('server error', { err }));
  logger.info('listening', { service: 'http', host: config.listenHost, port: httpPort });

  let closing: Promise<void> | undefined;
  return {
    httpPort,
    close() {
      closing ??= closeHttpServer(http);
      return closing;
    },
  };
}

const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this machine',
};

function listen(server: Server, host: string, port: number, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = (err.code === undefined ? undefined : LISTEN_FAILURES[err.code]) ?? err.message;
      reject(new GatewayError('listen_failed', `cannot listen on ${host}:${port} (${service}): ${reason}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

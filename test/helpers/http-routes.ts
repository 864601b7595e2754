// The gateway's HTTP server over given routes on 127.0.0.1 (a free port), for tests of the
// server itself; closeHttpServer ends it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRouter } from '../../gateway/http/router.js';
import { createHttpServer } from '../../gateway/http/server.js';
import type { Route } from '../../gateway/http/types.js';
import type { Logger } from '../../gateway/log.js';

export async function serveRoutes(routes: Route[], logger: Logger): Promise<{ server: Server; base: string }> {
  const server = createHttpServer(createRouter(routes), logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

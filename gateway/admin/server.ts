// The admin socket: a Unix domain socket in the data directory (mode 0600) over which the
// CLI manages a running gateway, one JSON request per line, answered in order. A live
// socket also marks the data directory as taken, so a second process never opens it.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ServiceError } from '../../services/errors.js';
import { StorageError } from '../../storage/errors.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AdminApi } from './api.js';
import { AdminError } from './errors.js';
import { DEFAULT_SERVER_LIMITS, MAX_SOCKET_PATH_BYTES, type AdminServerLimits } from './limits.js';
import { ADMIN_OPS } from './ops/index.js';
import { encodeReply, parseRequest, type AdminReply, type RequestId, type WireError } from './protocol.js';

/** Owner only: whoever can connect can add users. */
export const ADMIN_SOCKET_MODE = 0o600;

export interface AdminServerOptions {
  readonly path: string;
  /** The operations' backend; requests wait for it, so the socket can open before the database. */
  readonly api: Promise<AdminApi>;
  readonly logger: Logger;
  readonly limits?: Partial<AdminServerLimits>;
}

export interface AdminServer {
  readonly path: string;
  /** Stops accepting, lets requests in flight finish (up to the grace period), removes the socket. */
  close(): Promise<void>;
}

interface Connection {
  readonly socket: Socket;
  /** Resolves when every request read so far has been answered. */
  idle(): Promise<void>;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const { path, logger } = options;
  // A rejected backend is reported to each request; it must not also be an unhandled rejection.
  options.api.catch(() => {});
  const connections = new Set<Connection>();
  let closing: Promise<void> | undefined;
  const isClosing = () => closing !== undefined;
  const server = createServer((socket) => {
    if (connections.size >= limits.maxConnections) {
      socket.end(encodeReply({ id: null, ok: false, error: { code: 'busy', message: `more than ${limits.maxConnections} admin connections` } }));
      return;
    }
    const connection = serve(socket, options.api, limits, logger, isClosing);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  await bind(server, path);
  try {
    chmodSync(path, ADMIN_SOCKET_MODE);
  } catch (cause) {
    await new Promise((resolve) => server.close(resolve));
    throw new GatewayError('listen_failed', `cannot listen on ${path} (admin): ${(cause as Error).message}`, { cause });
  }
  server.on('error', (err) => logger.error('server error', { err }));

  return {
    path,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const c of connections) c.socket.pause();
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, limits.shutdownGraceMs)));
        await Promise.race([Promise.all([...connections].map((c) => c.idle())), grace]);
        clearTimeout(timer);
        for (const c of connections) c.socket.destroy();
        await closed;
      })();
      return closing;
    },
  };
}

const IN_USE = 'another lnmp-gateway process is using this data directory';

/** Listens on `path`, replacing a stale socket file left by a process that died. */
async function bind(server: Server, path: string): Promise<void> {
  const fail = (reason: string, cause?: unknown) => new GatewayError('listen_failed', `cannot listen on ${path} (admin): ${reason}`, { cause });
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw fail(`the path is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter dataDir`);
  for (let attempt = 0; ; attempt++) {
    const err = await listenOnce(server, path);
    if (err === undefined) return;
    if (err.code !== 'EADDRINUSE') throw fail(err.code === 'EACCES' ? 'permission denied' : err.message, err);
    if (attempt > 0) throw fail(IN_USE, err);
    let isSocket: boolean;
    try {
      isSocket = lstatSync(path).isSocket();
    } catch {
      continue; // Gone meanwhile: try again.
    }
    if (!isSocket) throw fail('the file exists and is not a socket');
    if (await answers(path)) throw fail(IN_USE);
    try {
      unlinkSync(path);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(`cannot remove the stale socket: ${(cause as Error).message}`, cause);
    }
  }
}

function listenOnce(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

/** Whether a process accepts connections on the socket at `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

const NEWLINE = 0x0a;

/** Reads request lines from one connection and answers them in order; reads nothing more once closing. */
function serve(socket: Socket, api: Promise<AdminApi>, limits: AdminServerLimits, logger: Logger, isClosing: () => boolean): Connection {
  let partial: Buffer[] = [];
  let partialBytes = 0;
  /** After an over-long line is rejected, the rest of it is skipped up to its newline. */
  let skipping = false;
  let queued = 0;
  let chain: Promise<void> = Promise.resolve();

  const enqueue = (answer: () => Promise<AdminReply>) => {
    queued++;
    if (queued >= limits.maxPendingRequests) socket.pause();
    chain = chain.then(async () => {
      const reply = await answer();
      if (!socket.destroyed) socket.write(encodeReply(reply));
      queued--;
      if (queued < limits.maxPendingRequests && !socket.destroyed && !isClosing()) socket.resume();
    });
  };
  const tooLong = () => {
    enqueue(async () => ({ id: null, ok: false, error: { code: 'line_too_long', message: `request lines are limited to ${limits.maxLineBytes} bytes` } }));
  };

  socket.setTimeout(limits.idleTimeoutMs, () => socket.end());
  socket.on('error', (err) => logger.debug('connection error', { err }));
  socket.on('data', (chunk: Buffer) => {
    if (isClosing()) return;
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
      if (!skipping) {
        if (partialBytes + piece.length > limits.maxLineBytes) {
          tooLong();
          partial = [];
          partialBytes = 0;
          skipping = true;
        } else {
          partial.push(piece);
          partialBytes += piece.length;
        }
      }
      if (end === -1) break;
      if (!skipping) {
        const line = Buffer.concat(partial).toString('utf8').replace(/\r$/, '');
        if (line.trim() !== '') enqueue(() => answer(line, api, logger));
      }
      partial = [];
      partialBytes = 0;
      skipping = false;
      start = end + 1;
    }
  });
  return { socket, idle: () => chain };
}

async function answer(line: string, api: Promise<AdminApi>, logger: Logger): Promise<AdminReply> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    logger.info('admin request', { ok: false, code: parsed.error.code });
    return { id: parsed.id, ok: false, error: parsed.error };
  }
  const { id, op: name, args } = parsed.request;
  const op = ADMIN_OPS.get(name);
  if (!op) {
    logger.info('admin request', { op: name, ok: false, code: 'unknown_op' });
    return failure(id, { code: 'unknown_op', message: `unknown op "${name}"; known: ${[...ADMIN_OPS.keys()].join(', ')}` });
  }
  try {
    const result = await op.run(await api, args);
    logger.info('admin request', { op: name, ok: true });
    return { id, ok: true, result };
  } catch (err) {
    const error = toWireError(err);
    if (error.code === 'internal_error') logger.error('admin request failed', { op: name, err });
    else logger.info('admin request', { op: name, ok: false, code: error.code });
    return failure(id, error);
  }
}

function failure(id: RequestId, error: WireError): AdminReply {
  return { id, ok: false, error };
}

/** The one mapping from a thrown error to an error reply; unknown errors stay in the log. */
function toWireError(err: unknown): WireError {
  if (err instanceof ServiceError || err instanceof AdminError || err instanceof StorageError) {
    return { code: err.code, message: err.message.replace(/\s*\n\s*/g, ' ') };
  }
  return { code: 'internal_error', message: 'the operation failed; see the gateway log' };
}

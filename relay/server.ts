// The LNMP relay server: a WebSocket endpoint (ws, on its own HTTP server) that stores sealed
// envelopes, answers queries and pushes live matches. Connections are RelayConnection; this
// file owns listening, per-IP connection counts, the retention prune and shutdown.
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Rng } from '../core/keys.js';
import { systemRng } from '../services/random.js';
import type { Counters } from '../storage/counters.js';
import type { Db } from '../storage/db.js';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, RelayConnection, type RelayHooks } from './connection.js';
import type { AdmitHook, DeliverHook, ForwardHook, RelayContext, RelayLogger } from './context.js';
import { RelayFanout, type FanoutTransport } from './fanout.js';
import { resolveLimits, type RelayLimits } from './limits.js';
import { RelayStore } from './store.js';
import { SubscriptionRegistry } from './subscriptions.js';

export interface RelayServerOptions extends RelayHooks {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly db: Db;
  /** Publish rate counters: in-process, or Redis so every relay process counts together. */
  readonly counters: Counters;
  readonly logger: RelayLogger;
  /** The public URL clients connect to and sign in AUTH; defaults to ws://host:port. */
  readonly url?: string;
  readonly limits?: Partial<RelayLimits>;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  readonly now?: () => number;
  readonly rng?: Rng;
  /** Relay fee: called for each verified envelope before it is stored. */
  readonly admit?: AdmitHook;
  /** Delivery to the recipients this relay serves (see DeliverHook). */
  readonly deliver?: DeliverHook;
  /** Forwarding to a PUBLISH's targetRelays (see ForwardHook); without it `targetRelays` is refused. */
  readonly forward?: ForwardHook;
  /** Called for each WebSocket connection; returns what to call when it closes (metrics). */
  readonly onConnection?: () => () => void;
  /**
   * Reaches the live subscriptions of other relay processes on the same database
   * (relay/fanout.ts). The relay owns it from this call on: it is closed with the relay, or
   * at once if the relay fails to start.
   */
  readonly fanout?: FanoutTransport;
}

export interface RunningRelay {
  readonly port: number;
  readonly url: string;
  readonly store: RelayStore;
  /** Runs the retention prune now; returns how many envelopes were deleted. */
  prune(): Promise<number>;
  /** Closes every connection (1001), stops listening and the prune timer. */
  close(): Promise<void>;
}

/** How long close() waits for clients to answer the close frame before cutting them. */
export const RELAY_CLOSE_TIMEOUT_MS = 2_000;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startRelayServer(opts: RelayServerOptions): Promise<RunningRelay> {
  const limits = resolveLimits(opts.limits);
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    res.end('LNMP relay: connect with WebSocket\n');
  });
  const store = new RelayStore(opts.db);
  const subscriptions = new SubscriptionRegistry();
  const rng = opts.rng ?? systemRng;
  const fanout = opts.fanout && new RelayFanout(opts.fanout, { subscriptions, store, logger: opts.logger, rng });
  let port: number;
  try {
    port = await listen(http, opts.host, opts.port);
    await fanout?.start();
  } catch (err) {
    if (http.listening) http.close();
    await opts.fanout?.close().catch(() => {});
    throw err;
  }
  const url = opts.url ?? `ws://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  const ctx: RelayContext = {
    store,
    subscriptions,
    counters: opts.counters,
    limits,
    url,
    now: opts.now ?? Date.now,
    rng,
    logger: opts.logger,
    admit: opts.admit,
    deliver: opts.deliver,
    forward: opts.forward,
    fanout,
  };
  // No compression: a small compressed frame could inflate past every limit here.
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  const perIp = new Map<string, number>();
  const sockets = new Set<WebSocket>();
  wss.on('error', (err) => opts.logger.error('relay server error', { err }));
  wss.on('connection', (ws, req) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const count = (perIp.get(ip) ?? 0) + 1;
    perIp.set(ip, count);
    sockets.add(ws);
    const closed = opts.onConnection?.();
    ws.once('close', () => {
      closed?.();
      sockets.delete(ws);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
    const connection = new RelayConnection(ctx, ws, ip, opts);
    if (count > limits.connectionsPerIp) connection.end(CLOSE_POLICY, `limit: more than ${limits.connectionsPerIp} connections from this address`);
  });

  const prune = async () => {
    const deleted = await store.prune({ nowMs: ctx.now(), retentionSeconds: limits.retentionSeconds });
    if (deleted > 0) opts.logger.info('relay pruned', { deleted });
    return deleted;
  };
  const pruneQuietly = () => void prune().catch((err: unknown) => opts.logger.warn('relay prune failed', { err }));
  const pruneTimer = setInterval(pruneQuietly, limits.pruneIntervalMs);
  pruneTimer.unref();
  pruneQuietly();

  let closing: Promise<void> | undefined;
  const close = async () => {
    clearInterval(pruneTimer);
    const closed = [...sockets].map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close(CLOSE_GOING_AWAY, 'relay shutting down');
    }));
    const cut = setTimeout(() => sockets.forEach((ws) => ws.terminate()), RELAY_CLOSE_TIMEOUT_MS);
    await Promise.all(closed);
    clearTimeout(cut);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
    await fanout?.close();
  };
  return {
    port,
    url,
    store,
    prune,
    close() {
      closing ??= close();
      return closing;
    },
  };
}

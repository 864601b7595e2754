// Prometheus metrics of one gateway process (prom-client), served at GET /metrics. Each
// gateway has its own Registry, not prom-client's global one, so several gateways in one
// process (the tests) count apart. The series names are a contract with dashboards and alerts:
// they are listed in docs/architecture.md ("Observability") and change only with it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isServiceError } from '../services/errors.js';
import type { LoginThrottle } from '../services/login-throttle.js';
import type { Db, Queryable } from '../storage/db.js';
import type { Logger } from './log.js';

export type ConnectionProtocol = 'smtp' | 'submission' | 'imap' | 'http' | 'relay';
export type ReceivedVia = 'mx' | 'submission' | 'lnmp';
export type SentResult = 'delivered' | 'deferred' | 'failed';
export type AuthProtocol = 'submission' | 'imap' | 'jmap';
export const POSTAGE_STATES = ['open', 'held', 'settled', 'canceled', 'expired'] as const;
export type PostageState = (typeof POSTAGE_STATES)[number];

/** Seconds: storage queries take a millisecond or so, a slow one a second. */
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds: a PUBLISH verifies a signature, counts rates and stores the envelope. */
const PUBLISH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What the scrape reads from storage; set once those parts of the gateway are running. */
export interface MetricSources {
  /** Outbound rows in state `queued` and the oldest one's creation (`OutboundQueue.depth`). */
  readonly queue?: () => Promise<{ queued: number; oldestQueuedAt: Date | undefined }>;
  /** Postage invoices and their sats per state (`postageTotals`). */
  readonly postage?: () => Promise<readonly PostageTotal[]>;
}

export interface PostageTotal {
  readonly state: string;
  readonly invoices: number;
  readonly sats: number;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts a connection; returns the function to call once, when it closes. */
  connectionOpened(protocol: ConnectionProtocol): () => void;
  messageReceived(via: ReceivedVia): void;
  messagesSent(transport: 'smtp' | 'lnmp', result: SentResult, count: number): void;
  authFailed(protocol: AuthProtocol): void;
  /** A postage invoice the Lightning backend could not create (retried later). */
  invoiceFailed(): void;
  observePublish(seconds: number): void;
  observeQuery(seconds: number): void;
  /** Where the queue and postage gauges are read from at each scrape. */
  collectFrom(sources: MetricSources): void;
  /** The text exposition format, and its content type. */
  exposition(): Promise<string>;
  readonly contentType: string;
}

export function createGatewayMetrics(opts: { readonly logger?: Logger; readonly now?: () => number } = {}): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const now = opts.now ?? Date.now;
  let sources: MetricSources = {};

  const connections = new Counter({ name: 'lnmp_connections_total', help: 'Connections accepted, by protocol.', labelNames: ['protocol'], registers });
  const open = new Gauge({ name: 'lnmp_connections_open', help: 'Connections open now, by protocol.', labelNames: ['protocol'], registers });
  const received = new Counter({ name: 'lnmp_messages_received_total', help: 'Messages accepted, by where they came in (mx, submission, lnmp).', labelNames: ['via'], registers });
  const sent = new Counter({
    name: 'lnmp_messages_sent_total',
    help: 'Outbound recipients handled, by transport (smtp, lnmp) and result (delivered, deferred, failed).',
    labelNames: ['transport', 'result'],
    registers,
  });
  const invoiceFailures = new Counter({ name: 'lnmp_postage_invoice_failures_total', help: 'Postage invoices the Lightning backend could not create (each is retried).', registers });
  const authFailures = new Counter({ name: 'lnmp_auth_failures_total', help: 'Failed logins (wrong credentials or throttled), by protocol.', labelNames: ['protocol'], registers });
  const relayConnections = new Gauge({ name: 'lnmp_relay_connections', help: 'LNMP relay WebSocket connections open now.', registers });
  const publish = new Histogram({ name: 'lnmp_relay_publish_seconds', help: 'Time to handle one relay PUBLISH, refused ones included.', buckets: PUBLISH_BUCKETS, registers });
  const query = new Histogram({ name: 'lnmp_storage_query_seconds', help: 'Time per storage query (Db.query), failed ones included.', buckets: QUERY_BUCKETS, registers });

  // A scrape while storage is down keeps the last values rather than failing the whole page.
  const quietly = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      opts.logger?.warn('metrics collection failed', { metric: what, err });
    }
  };
  // prom-client collects every metric of a scrape at once: the two gauges of one source share
  // one read (the one in flight), so they agree and the table is read once.
  const readQueue = shared(async () => (await sources.queue?.()) ?? { queued: 0, oldestQueuedAt: undefined });
  const readPostage = shared(async () => (await sources.postage?.()) ?? []);
  const queueDepth: Gauge = new Gauge({
    name: 'lnmp_queue_depth',
    help: 'Outbound recipients waiting in the queue (state queued).',
    registers,
    collect: () => quietly('lnmp_queue_depth', async () => queueDepth.set((await readQueue()).queued)),
  });
  const queueAge: Gauge = new Gauge({
    name: 'lnmp_queue_oldest_age_seconds',
    help: 'Age of the oldest queued outbound recipient; 0 when the queue is empty.',
    registers,
    collect: () =>
      quietly('lnmp_queue_oldest_age_seconds', async () => {
        const oldest = (await readQueue()).oldestQueuedAt;
        queueAge.set(oldest === undefined ? 0 : Math.max(0, (now() - oldest.getTime()) / 1000));
      }),
  });
  const perState = (totals: readonly PostageTotal[], state: PostageState) => totals.find((t) => t.state === state);
  const postageInvoices: Gauge<'state'> = new Gauge({
    name: 'lnmp_postage_invoices',
    help: 'Postage invoices, by state.',
    labelNames: ['state'],
    registers,
    collect: () =>
      quietly('lnmp_postage_invoices', async () => {
        const totals = await readPostage();
        for (const state of POSTAGE_STATES) postageInvoices.set({ state }, perState(totals, state)?.invoices ?? 0);
      }),
  });
  const postageSats: Gauge<'state'> = new Gauge({
    name: 'lnmp_postage_sats',
    help: 'Sats of postage invoices, by state.',
    labelNames: ['state'],
    registers,
    collect: () =>
      quietly('lnmp_postage_sats', async () => {
        const totals = await readPostage();
        for (const state of POSTAGE_STATES) postageSats.set({ state }, perState(totals, state)?.sats ?? 0);
      }),
  });
  // Every labelled series is present from the start (0), so rates and alerts need no "absent" case.
  for (const protocol of ['smtp', 'submission', 'imap', 'http', 'relay'] as const) {
    connections.inc({ protocol }, 0);
    open.set({ protocol }, 0);
  }
  for (const via of ['mx', 'submission', 'lnmp'] as const) received.inc({ via }, 0);
  for (const transport of ['smtp', 'lnmp'] as const) for (const result of ['delivered', 'deferred', 'failed'] as const) sent.inc({ transport, result }, 0);
  for (const protocol of ['submission', 'imap', 'jmap'] as const) authFailures.inc({ protocol }, 0);
  relayConnections.set(0);

  return {
    registry,
    contentType: registry.contentType,
    connectionOpened(protocol) {
      connections.inc({ protocol });
      open.inc({ protocol });
      if (protocol === 'relay') relayConnections.inc();
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        open.dec({ protocol });
        if (protocol === 'relay') relayConnections.dec();
      };
    },
    messageReceived: (via) => received.inc({ via }),
    messagesSent(transport, result, count) {
      if (count > 0) sent.inc({ transport, result }, count);
    },
    authFailed: (protocol) => authFailures.inc({ protocol }),
    invoiceFailed: () => invoiceFailures.inc(),
    observePublish: (seconds) => publish.observe(seconds),
    observeQuery: (seconds) => query.observe(seconds),
    collectFrom(more) {
      sources = { ...sources, ...more };
    },
    exposition: () => registry.metrics(),
  };
}

/** `throttle` calling `onFailure` for each refused login: wrong credentials or throttled. */
export function countingFailures(throttle: Pick<LoginThrottle, 'authenticate'>, onFailure: () => void): Pick<LoginThrottle, 'authenticate'> {
  return {
    async authenticate(accounts, address, password, ip) {
      try {
        return await throttle.authenticate(accounts, address, password, ip);
      } catch (err) {
        if (isServiceError(err, 'auth_failed') || isServiceError(err, 'throttled')) onFailure();
        throw err;
      }
    },
  };
}

/** `read`, with callers that come while one read is in flight sharing it. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = undefined;
    }));
}

/** Invoices and sats per postage state, read at each scrape. */
export async function postageTotals(db: Queryable): Promise<PostageTotal[]> {
  return db.query<PostageTotal>('SELECT state, count(*)::int8 AS invoices, coalesce(sum(amount_sats), 0)::int8 AS sats FROM postage GROUP BY state');
}

/**
 * `db` with every query timed into `observe` (seconds), in and out of transactions. Only the
 * gateway's handle is wrapped; storage/ and its other callers are unchanged.
 */
export function timedDb(db: Db, observe: (seconds: number) => void): Db {
  const timed = (q: Queryable): Queryable['query'] =>
    async <R>(sql: string, params?: readonly unknown[]) => {
      const start = performance.now();
      try {
        return await q.query<R>(sql, params);
      } finally {
        observe((performance.now() - start) / 1000);
      }
    };
  return {
    kind: db.kind,
    query: timed(db),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction((tx) => fn({ query: timed(tx), exec: (sql) => tx.exec(sql) })),
    close: () => db.close(),
  };
}

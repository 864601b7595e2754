// What `lnmp-gateway status` reports about a running gateway: its listeners, backends, queue
// depth, relay connections, uptime and version. The gateway fills a StatusBoard as it starts
// (server.ts); the admin op `status` reads it. Only a running gateway has one, so the CLI's own
// direct database path answers the op with an error instead.
import type { Config } from '../../config/schema.js';

export interface ListenerStatus {
  readonly service: string;
  readonly host: string;
  readonly port: number;
}

export interface GatewayStatus {
  readonly version: string;
  readonly pid: number;
  /** `starting` until every listener is bound. */
  readonly state: 'starting' | 'running';
  /** ISO 8601. */
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly dataDir: string;
  readonly listeners: readonly ListenerStatus[];
  readonly backends: {
    readonly database: 'pglite' | 'postgres';
    readonly notifier: 'in-process' | 'redis';
    readonly lightning: 'dev' | 'lnd';
  };
  /** Outbound rows still queued; the oldest's queue time and age. */
  readonly queue: { readonly queued: number; readonly oldestQueuedAt: string | null; readonly oldestAgeSeconds: number | null };
  /** Open WebSocket connections to the embedded relay. */
  readonly relayConnections: number;
}

/** What only the running process knows, handed over once every listener is bound. */
export interface RuntimeFacts {
  readonly listeners: readonly ListenerStatus[];
  readonly queueDepth: () => Promise<{ queued: number; oldestQueuedAt: Date | undefined }>;
}

export class StatusBoard {
  readonly #config: Config;
  readonly #version: string;
  readonly #startedAt: number;
  readonly #now: () => number;
  #facts: RuntimeFacts | undefined;
  #relayConnections = 0;

  constructor(config: Config, version: string, now: () => number = Date.now) {
    this.#config = config;
    this.#version = version;
    this.#now = now;
    this.#startedAt = now();
  }

  running(facts: RuntimeFacts): void {
    this.#facts = facts;
  }

  /** Wraps the relay's `onConnection` hook so open connections are counted here too. */
  countRelayConnections(inner: () => () => void = () => () => {}): () => () => void {
    return () => {
      const done = inner();
      this.#relayConnections++;
      let closed = false;
      return () => {
        if (closed) return;
        closed = true;
        this.#relayConnections--;
        done();
      };
    };
  }

  /** Bound as the `status` provider of localAdminApi. */
  readonly read = async (): Promise<GatewayStatus> => {
    const now = this.#now();
    const facts = this.#facts;
    const depth = facts ? await facts.queueDepth() : undefined;
    const oldest = depth?.oldestQueuedAt;
    return {
      version: this.#version,
      pid: process.pid,
      state: facts ? 'running' : 'starting',
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: Math.floor((now - this.#startedAt) / 1000),
      dataDir: this.#config.dataDir,
      listeners: facts?.listeners ?? [],
      backends: {
        database: this.#config.databaseUrl === undefined ? 'pglite' : 'postgres',
        notifier: this.#config.redisUrl === undefined ? 'in-process' : 'redis',
        lightning: this.#config.lightning.backend,
      },
      queue: {
        queued: depth?.queued ?? 0,
        oldestQueuedAt: oldest ? oldest.toISOString() : null,
        oldestAgeSeconds: oldest ? Math.max(0, Math.floor((now - oldest.getTime()) / 1000)) : null,
      },
      relayConnections: this.#relayConnections,
    };
  };
}

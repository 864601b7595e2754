// The change notifier: after a commit, services publish which account changed, and
// IMAP IDLE and JMAP push sessions listen for their user. In one process events go
// through memory; with REDIS_URL they go through Redis so every gateway process hears them.
import type { ChangeKind } from './notifier-event.js';
import { createMemoryNotifier } from './notifier-memory.js';

/** A change to one user's mailbox data; IMAP IDLE and JMAP push listen for these. */
export interface ChangeEvent {
  /** The account whose data changed. */
  userId: number;
  /** The account's modseq after the change. */
  modseq: number;
  /** The mailbox concerned, when there is one. */
  mailboxId?: number;
  kind: ChangeKind;
}

export type ChangeListener = (event: ChangeEvent) => void;

/** Ends one subscription; calling it again does nothing. */
export interface Unsubscribe {
  (): void;
  /**
   * Resolves once events published from now on reach the listener: at once in-process,
   * after Redis confirms the SUBSCRIBE otherwise. A session that reads its state after
   * awaiting this cannot miss a change in between. Rejects (with a `NotifierError`
   * also reported through `onError`) if the subscription failed.
   */
  readonly ready: Promise<void>;
}

export interface Notifier {
  /** Publishes after the change is committed. Resolves when handed to the transport. */
  publish(event: ChangeEvent): Promise<void>;
  /**
   * Calls `listener` for every event of `userId` (from this process or, with Redis, any
   * process), never synchronously inside `publish`. Returns an unsubscribe function.
   */
  subscribe(userId: number, listener: ChangeListener): Unsubscribe;
  /** Stops delivery and releases connections; calling it again does nothing. */
  close(): Promise<void>;
}

export interface NotifierOptions {
  /** Redis for events across processes; unset means in-process only. */
  redisUrl?: string;
  /**
   * Receives failures no caller is waiting for (`NotifierError`: a listener threw, a
   * malformed message was dropped, a connection dropped). Defaults to a process warning.
   */
  onError?: (err: Error) => void;
  /** Separates deployments sharing one Redis (see RedisNotifierOptions.namespace). */
  namespace?: string;
}

/** In-process without `redisUrl`; with it, rejects with `notifier_unavailable` if Redis cannot be reached. */
export async function createNotifier(opts: NotifierOptions): Promise<Notifier> {
  const onError = opts.onError ?? warn;
  if (opts.redisUrl === undefined) return createMemoryNotifier({ onError });
  // Loaded only with REDIS_URL: a single process starts faster without ioredis.
  const { createRedisNotifier } = await import('./notifier-redis.js');
  return createRedisNotifier({ url: opts.redisUrl, onError, ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) });
}

function warn(err: Error): void {
  process.emitWarning(err);
}

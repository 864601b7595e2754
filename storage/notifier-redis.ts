// The Redis notifier, for several gateway processes sharing one database: events go out
// on `lnmp:changes:<userId>` and come back through one subscriber connection, which holds
// a channel only while this process has a listener for that user. Own events also come
// back through Redis (never delivered locally as well), so each listener gets each event once.
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { maskUrlPassword } from '../config/mask.js';
import type { ChangeEvent, ChangeListener, Notifier, Unsubscribe } from './notifier.js';
import { checkedChangeEvent, checkedUserId, parseChangeEvent } from './notifier-event.js';
import type { ParsedEvent } from './notifier-event.js';
import { describeCause, NotifierError } from './notifier-errors.js';
import { closedError, LocalListeners, toUnsubscribe } from './notifier-memory.js';

/** How long creating the notifier waits for each connection before failing. */
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;

/**
 * Reconnection attempts a PUBLISH waits through before it rejects. With ioredis's backoff
 * (50, 100, 200 ms...) a publish fails within about a second of Redis going away instead of
 * queueing for minutes; the change is committed either way and clients resync by modseq.
 */
export const PUBLISH_MAX_RETRIES = 3;

/** How long a PUBLISH may wait for Redis's reply on a live but stalled connection. */
export const PUBLISH_TIMEOUT_MS = 2_000;

/** Channel names are this plus the decimal user id. */
export const CHANNEL_PREFIX = 'lnmp:changes:';

/** Connection names (CLIENT LIST) are this plus `:pub` or `:sub`. */
export const DEFAULT_CONNECTION_NAME = 'lnmp-notifier';

export interface RedisNotifierOptions {
  /** `redis://` or `rediss://` URL; only shown with its password masked. */
  url: string;
  onError: (err: Error) => void;
  /** Prefix of the two connections' CLIENT LIST names, to tell gateway processes apart. */
  name?: string;
  connectTimeoutMs?: number;
  /**
   * Separates deployments sharing one Redis: channels become `lnmp:changes:<namespace>:<userId>`,
   * so one deployment never hears (or learns the user ids of) another's changes.
   */
  namespace?: string;
}

function channelPrefix(namespace = ''): string {
  return namespace === '' ? CHANNEL_PREFIX : `${CHANNEL_PREFIX}${namespace}:`;
}

export function channelFor(userId: number, namespace = ''): string {
  return `${channelPrefix(namespace)}${userId}`;
}

function userIdOf(channel: string, prefix: string): number | undefined {
  if (!channel.startsWith(prefix)) return undefined;
  const id = Number(channel.slice(prefix.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * Connects both connections or neither: rejects with `notifier_unavailable`, naming the
 * URL with its password masked, if Redis cannot be reached within the connect timeout.
 */
export async function createRedisNotifier(opts: RedisNotifierOptions): Promise<Notifier> {
  const name = opts.name ?? DEFAULT_CONNECTION_NAME;
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs ?? REDIS_CONNECT_TIMEOUT_MS,
    // ioredis's default, stated because the subscriber depends on it after a reconnect.
    autoResubscribe: true,
  };
  const publisher = new Redis(opts.url, {
    ...common,
    connectionName: `${name}:pub`,
    maxRetriesPerRequest: PUBLISH_MAX_RETRIES,
    commandTimeout: PUBLISH_TIMEOUT_MS,
  });
  // SUBSCRIBE/UNSUBSCRIBE issued while Redis is away wait for the reconnect instead of
  // failing, so the set of channels held always ends up matching the local listeners.
  const subscriber = new Redis(opts.url, { ...common, connectionName: `${name}:sub`, maxRetriesPerRequest: null });

  const notifier = new RedisNotifier(publisher, subscriber, opts.onError, opts.namespace ?? '');
  try {
    await notifier.connect();
  } catch (err) {
    publisher.disconnect();
    subscriber.disconnect();
    throw new NotifierError(
      'notifier_unavailable',
      `cannot connect to Redis at ${maskUrlPassword(opts.url)} for change notifications: ${describeCause(err)}`,
      { cause: err },
    );
  }
  return notifier;
}

class RedisNotifier implements Notifier {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #onError: (err: Error) => void;
  readonly #listeners: LocalListeners;
  /** Per user with listeners here: settles when the channel's SUBSCRIBE has been answered. */
  readonly #subscribed = new Map<number, Promise<void>>();
  /** Until both connections are up, errors belong to creation and are not reported. */
  #connected = false;
  #closing: Promise<void> | undefined;
  readonly #namespace: string;

  constructor(publisher: Redis, subscriber: Redis, onError: (err: Error) => void, namespace: string) {
    this.#namespace = namespace;
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#onError = onError;
    this.#listeners = new LocalListeners(onError);
    // Without an error listener ioredis prints each reconnect failure to the console.
    publisher.on('error', (err) => this.#connectionError('publisher', err));
    subscriber.on('error', (err) => this.#connectionError('subscriber', err));
    subscriber.on('message', (channel, message) => this.#receive(channel, message));
  }

  /** Connects both; from then on connection errors go to `onError`. */
  async connect(): Promise<void> {
    await Promise.all([connectOne(this.#publisher), connectOne(this.#subscriber)]);
    this.#connected = true;
  }

  async publish(event: ChangeEvent): Promise<void> {
    if (this.#closing) throw closedError('publish');
    const checked = checkedChangeEvent(event);
    try {
      await this.#publisher.publish(channelFor(checked.userId, this.#namespace), JSON.stringify(checked));
    } catch (err) {
      throw new NotifierError('publish_failed', `cannot publish a change for user ${checked.userId} to Redis: ${describeCause(err)}`, {
        cause: err,
      });
    }
  }

  subscribe(userId: number, listener: ChangeListener): Unsubscribe {
    if (this.#closing) throw closedError('subscribe');
    const remove = this.#listeners.add(checkedUserId(userId), listener);
    // An entry exists exactly while this process has listeners for the user.
    let ready = this.#subscribed.get(userId);
    if (ready === undefined) {
      ready = this.#channelCommand('subscribe', userId);
      this.#subscribed.set(userId, ready);
    }
    return toUnsubscribe(() => {
      if (!remove() || this.#closing) return;
      this.#subscribed.delete(userId);
      // Commands on one connection run in order, so a later SUBSCRIBE for this user
      // cannot be overtaken by this UNSUBSCRIBE.
      void this.#channelCommand('unsubscribe', userId);
    }, ready);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#listeners.clear();
    this.#subscribed.clear();
    await Promise.all([quit(this.#publisher), quit(this.#subscriber)]);
  }

  /** SUBSCRIBE or UNSUBSCRIBE one user's channel; a failure is reported and rejects. */
  #channelCommand(command: 'subscribe' | 'unsubscribe', userId: number): Promise<void> {
    const channel = channelFor(userId, this.#namespace);
    const done = this.#subscriber[command](channel).then(
      () => undefined,
      (err: unknown) => {
        const error = new NotifierError('subscribe_failed', `cannot ${command} ${channel}: ${describeCause(err)}`, { cause: err });
        if (!this.#closing) this.#onError(error);
        throw error;
      },
    );
    // The failure is already reported; whoever awaits `ready` still sees it.
    done.catch(() => undefined);
    return done;
  }

  #receive(channel: string, message: string): void {
    const userId = userIdOf(channel, channelPrefix(this.#namespace));
    if (userId === undefined || this.#closing) return;
    const parsed = parsePayload(message, userId);
    if (!parsed.ok) {
      this.#onError(new NotifierError('payload_invalid', `dropped a malformed change event on ${channel}: ${parsed.reason}`));
      return;
    }
    this.#listeners.deliver(parsed.event);
  }

  #connectionError(role: 'publisher' | 'subscriber', err: Error): void {
    if (!this.#connected || this.#closing) return;
    this.#onError(new NotifierError('connection_error', `Redis ${role} connection: ${describeCause(err)}`, { cause: err }));
  }
}

/** The event in a message on `userId`'s channel, which must be about that user. */
function parsePayload(message: string, userId: number): ParsedEvent {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = parseChangeEvent(value);
  if (parsed.ok && parsed.event.userId !== userId) {
    return { ok: false, reason: `userId ${parsed.event.userId} does not match the channel` };
  }
  return parsed;
}

/** Connects one connection; rejects with the socket's own error rather than ioredis's "Connection is closed.". */
export async function connectOne(connection: Redis): Promise<void> {
  let firstError: Error | undefined;
  const remember = (err: Error): void => {
    firstError ??= err;
  };
  connection.on('error', remember);
  try {
    await connection.connect();
  } catch (err) {
    throw firstError ?? err;
  } finally {
    connection.off('error', remember);
  }
}

/** QUIT when connected (lets pending replies arrive); otherwise just drop the socket and any reconnect timer. */
export async function quit(connection: Redis): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

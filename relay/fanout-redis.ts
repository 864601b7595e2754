// Fan-out notices over Redis pub/sub: one channel per deployment, a publishing and a
// subscribing connection per process. ioredis reconnects and subscribes again by itself;
// notices sent while a process was cut off are not replayed (its clients' QUERY finds them).
import { Redis, type RedisOptions } from 'ioredis';
import { maskUrlPassword } from '../config/mask.js';
import { describeCause } from '../storage/notifier-errors.js';
import { connectOne, quit, REDIS_CONNECT_TIMEOUT_MS } from '../storage/notifier-redis.js';
import type { RelayLogger } from './context.js';
import type { FanoutTransport } from './fanout.js';

/** The channel is this plus the deployment's namespace. */
export const REDIS_FANOUT_PREFIX = 'lnmp:relay:';
/** How long a notice may wait for Redis before it is given up (the envelope is stored anyway). */
export const REDIS_FANOUT_SEND_TIMEOUT_MS = 2_000;
/** Connection names (CLIENT LIST) are this plus `:pub` or `:sub`. */
const CONNECTION_NAME = 'lnmp-relay-fanout';

export function redisFanoutChannel(namespace: string): string {
  return `${REDIS_FANOUT_PREFIX}${namespace}`;
}

/** Connects both connections or rejects naming the URL with its password masked. */
export async function openRedisFanout(opts: { url: string; namespace: string; logger: RelayLogger }): Promise<FanoutTransport> {
  const channel = redisFanoutChannel(opts.namespace);
  const common: RedisOptions = { lazyConnect: true, connectTimeout: REDIS_CONNECT_TIMEOUT_MS };
  const publisher = new Redis(opts.url, { ...common, connectionName: `${CONNECTION_NAME}:pub`, maxRetriesPerRequest: 2, commandTimeout: REDIS_FANOUT_SEND_TIMEOUT_MS });
  const subscriber = new Redis(opts.url, { ...common, connectionName: `${CONNECTION_NAME}:sub`, maxRetriesPerRequest: null, autoResubscribe: true });
  let connected = false;
  let closing: Promise<void> | undefined;
  for (const [role, connection] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    connection.on('error', (err: Error) => {
      if (connected && !closing) opts.logger.warn('relay fan-out: Redis connection error', { role, err: describeCause(err) });
    });
  }
  try {
    await Promise.all([connectOne(publisher), connectOne(subscriber)]);
  } catch (err) {
    publisher.disconnect();
    subscriber.disconnect();
    throw new Error(`cannot connect to Redis at ${maskUrlPassword(opts.url)} for relay fan-out: ${describeCause(err)}`, { cause: err });
  }
  connected = true;
  return {
    name: 'redis',
    async listen(onMessage) {
      subscriber.on('message', (from: string, payload: string) => {
        if (from === channel) onMessage(payload);
      });
      await subscriber.subscribe(channel);
    },
    async send(payload) {
      await publisher.publish(channel, payload);
    },
    close() {
      closing ??= Promise.all([quit(publisher), quit(subscriber)]).then(() => undefined);
      return closing;
    },
  };
}

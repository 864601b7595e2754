// Windowed counters for rate limits and login throttling: in-process for one gateway, or in
// Redis (REDIS_URL) so that every gateway process counts together. A counter starts at the
// first hit and expires `windowMs` later (a fixed window per key).
import { maskUrlPassword } from '../config/mask.js';
import { StorageError } from './errors.js';

export interface Counters {
  /** Adds one and returns the new count. The window starts with the first hit. */
  hit(key: string, windowMs: number): Promise<number>;
  /** The current count (0 when absent or expired). */
  peek(key: string): Promise<number>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Most keys the in-process counters keep; the oldest window is dropped beyond it. */
export const MEMORY_COUNTER_KEYS = 100_000;
/** Key prefix in Redis. */
export const COUNTER_PREFIX = 'lnmp:count:';
const REDIS_CONNECT_TIMEOUT_MS = 3_000;
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

export function createMemoryCounters(now: () => number = Date.now): Counters {
  const entries = new Map<string, { count: number; expires: number }>();
  const live = (key: string) => {
    const e = entries.get(key);
    if (e && e.expires <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  return {
    hit(key, windowMs) {
      const e = live(key);
      if (e) {
        e.count++;
        return Promise.resolve(e.count);
      }
      if (entries.size >= MEMORY_COUNTER_KEYS) entries.delete(entries.keys().next().value as string);
      entries.set(key, { count: 1, expires: now() + windowMs });
      return Promise.resolve(1);
    },
    peek: (key) => Promise.resolve(live(key)?.count ?? 0),
    reset(key) {
      entries.delete(key);
      return Promise.resolve();
    },
    close() {
      entries.clear();
      return Promise.resolve();
    },
  };
}

/**
 * Connects or rejects with `storage_unavailable` naming the URL with its password masked.
 * `namespace` separates deployments that share one Redis (the gateway passes one derived
 * from its database, so the processes of one deployment count together and no others do).
 */
export async function createRedisCounters(url: string, namespace = ''): Promise<Counters> {
  const prefix = `${COUNTER_PREFIX}${namespace === '' ? '' : `${namespace}:`}`;
  // Loaded only with REDIS_URL: a single process starts faster without it.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    connectionName: 'lnmp-counters',
  });
  // Connection errors also fail the commands waiting on them, which report them; without a
  // listener ioredis would print each reconnect failure.
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (cause) {
    redis.disconnect();
    throw new StorageError('storage_unavailable', `cannot connect to Redis at ${maskUrlPassword(url)}: ${(cause as Error).message}`, { cause });
  }
  const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (cause) {
      throw new StorageError('storage_unavailable', `Redis counters at ${maskUrlPassword(url)}: ${(cause as Error).message}`, { cause });
    }
  };
  return {
    hit: (key, windowMs) =>
      wrap(async () => {
        const k = prefix + key;
        // INCR, then start the window only if the key has none yet (PEXPIRE NX, Redis 7).
        const results = await redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec();
        const [err, value] = results?.[0] ?? [new Error('no reply'), 0];
        if (err) throw err;
        return Number(value);
      }),
    peek: (key) => wrap(async () => Number((await redis.get(prefix + key)) ?? 0)),
    reset: (key) => wrap(async () => void (await redis.del(prefix + key))),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export function createCounters(opts: { redisUrl?: string; namespace?: string }): Promise<Counters> {
  return opts.redisUrl ? createRedisCounters(opts.redisUrl, opts.namespace) : Promise.resolve(createMemoryCounters());
}

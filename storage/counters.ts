// Windowed counters for rate limits and login throttling: in-process for one gateway, or in
// Redis (REDIS_URL) so that every gateway process counts together. A counter starts at the
// first hit and expires `windowMs` later (a fixed window per key).
// With `batching`, Redis counters pre-count hits in the process and send them in batches, so a
// hit costs no round trip; counts seen across processes then lag by a bounded number of hits
// (CounterBatching). The relay's publish limits use that; login throttling counts exactly.
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
/**
 * Pre-counting of Redis counters. Each process counts a hit locally and answers at once with
 * the count Redis returned at its last sync plus its own hits since; every key's unsent hits
 * go to Redis in one pipelined write per `syncMs`, or at once when a key has `maxUnsynced`
 * hits Redis has not confirmed, and the hit after those waits for that sync. A process never
 * under-counts its own hits, so a limit is never applied early; it can miss only the hits the
 * other processes have not synced yet, at most `maxUnsynced` each. So with W processes sharing
 * one Redis namespace, at most (W − 1) × min(maxUnsynced, max) hits more than a limit `max`
 * are accepted in one window (none with one process).
 */
export interface CounterBatching {
  /** Hits of one key a process may count before Redis has confirmed them. */
  readonly maxUnsynced: number;
  /** Longest a counted hit waits before it is sent to Redis. */
  readonly syncMs: number;
}
/** What the relay's publish rate counters use (relay/README.md: overshoot across workers). */
export const RELAY_COUNTER_BATCHING: CounterBatching = { maxUnsynced: 16, syncMs: 200 };

// INCRBY, start the window only if the key has none yet, and return the count with the
// milliseconds the window has left: one atomic step per key and sync.
const ADD_SCRIPT = `local n = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
return {n, redis.call('PTTL', KEYS[1])}`;

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
export async function createRedisCounters(url: string, namespace = '', options: { batching?: CounterBatching; now?: () => number } = {}): Promise<Counters> {
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
  if (options.batching) return batchedCounters(redis, prefix, options.batching, options.now ?? Date.now, wrap);
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

export function createCounters(opts: { redisUrl?: string; namespace?: string; batching?: CounterBatching }): Promise<Counters> {
  return opts.redisUrl
    ? createRedisCounters(opts.redisUrl, opts.namespace, opts.batching ? { batching: opts.batching } : {})
    : Promise.resolve(createMemoryCounters());
}

/** One key's count as this process knows it (CounterBatching). */
interface Tally {
  readonly key: string;
  readonly windowMs: number;
  /** The count Redis returned at the last sync (this process's hits sent so far included). */
  known: number;
  /** Hits counted here and not yet sent. */
  unsent: number;
  /** Hits in the sync that is running. */
  sending: number;
  /** End of the window here: never after Redis's (a sync's start plus the PTTL it returned). */
  expires: number;
}

type Pipeline = ReturnType<Redis['pipeline']>;
type Redis = InstanceType<typeof import('ioredis').Redis>;
const ADD_COMMAND = 'lnmpCounterAdd';

function batchedCounters(redis: Redis, prefix: string, batching: CounterBatching, now: () => number, wrap: <T>(work: () => Promise<T>) => Promise<T>): Counters {
  const { maxUnsynced, syncMs } = batching;
  if (!Number.isSafeInteger(maxUnsynced) || maxUnsynced < 1) throw new RangeError(`maxUnsynced must be a positive integer, got ${maxUnsynced}`);
  if (!Number.isSafeInteger(syncMs) || syncMs < 1) throw new RangeError(`syncMs must be a positive integer, got ${syncMs}`);
  // EVALSHA, with EVAL when Redis does not have the script (ioredis does both, also in pipelines).
  redis.defineCommand(ADD_COMMAND, { numberOfKeys: 1, lua: ADD_SCRIPT });
  const add = (p: Pipeline, key: string, n: number, windowMs: number) => (p as unknown as Record<string, (...args: Array<string | number>) => Pipeline>)[ADD_COMMAND]!(key, n, windowMs);
  const tallies = new Map<string, Tally>();
  /** Tallies with unsent hits. */
  const dirty = new Set<Tally>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  let queuedThreshold = Infinity;
  // A hit that waits sends only the keys with at least this many unsent hits (its own among
  // them), not every key counted since the last timed sync: one command per half batch of a
  // busy key, while the timer sends the rest every syncMs.
  const waitingThreshold = Math.ceil(maxUnsynced / 2);

  const tally = (key: string, windowMs: number): Tally => {
    const t = tallies.get(key);
    if (t && t.expires > now()) return t;
    // Expired here: a new window (a sync still running for the old one updates only the old tally).
    if (t) tallies.delete(key);
    if (tallies.size >= MEMORY_COUNTER_KEYS) tallies.delete(tallies.keys().next().value as string);
    const fresh: Tally = { key, windowMs, known: 0, unsent: 0, sending: 0, expires: now() + windowMs };
    tallies.set(key, fresh);
    return fresh;
  };

  // Sends the unsent hits of every key that has at least `threshold`, one pipelined write; a
  // failed key keeps its hits for the next sync.
  const sync = async (threshold: number): Promise<void> => {
    const batch: Array<{ t: Tally; n: number }> = [];
    for (const t of dirty) {
      if (t.unsent < threshold) continue;
      batch.push({ t, n: t.unsent });
      dirty.delete(t);
    }
    if (batch.length === 0) return;
    const pipeline = redis.pipeline();
    for (const { t, n } of batch) {
      t.unsent = 0;
      t.sending += n;
      add(pipeline, prefix + t.key, n, t.windowMs);
    }
    const sentAt = now();
    let results: Awaited<ReturnType<Pipeline['exec']>> = null;
    let failure: unknown;
    try {
      results = await pipeline.exec();
    } catch (err) {
      failure = err;
    }
    batch.forEach(({ t, n }, i) => {
      t.sending -= n;
      const [err, reply] = results?.[i] ?? [failure ?? new Error('no reply'), null];
      if (err) {
        failure = err;
        t.unsent += n;
        dirty.add(t);
        return;
      }
      const [count, pttl] = reply as [number, number];
      t.known = Number(count);
      t.expires = sentAt + Number(pttl);
    });
    if (failure !== undefined) throw failure;
  };

  // Resolves once a sync that started after the call has finished (rejects if it failed). One
  // sync runs at a time; calls during it share the next one.
  const flush = (threshold: number): Promise<void> => {
    if (!running) {
      running = sync(threshold).finally(() => {
        running = undefined;
        if (dirty.size > 0) schedule();
      });
      return running;
    }
    queuedThreshold = Math.min(queuedThreshold, threshold);
    return (queued ??= running
      .catch(() => {})
      .then(() => {
        const next = queuedThreshold;
        queued = undefined;
        queuedThreshold = Infinity;
        return flush(next);
      }));
  };

  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      flush(1).catch(() => {});
    }, syncMs);
    timer.unref();
  };

  return {
    hit: async (key, windowMs) => {
      for (;;) {
        const t = tally(key, windowMs);
        if (t.unsent + t.sending < maxUnsynced) {
          t.unsent++;
          dirty.add(t);
          schedule();
          return t.known + t.sending + t.unsent;
        }
        // maxUnsynced hits of this key are not confirmed yet: wait for Redis before counting more.
        await wrap(() => flush(waitingThreshold));
      }
    },
    peek: (key) =>
      wrap(async () => {
        const t = tallies.get(key);
        const local = t && t.expires > now() ? t.unsent + t.sending : 0;
        return Number((await redis.get(prefix + key)) ?? 0) + local;
      }),
    reset: (key) =>
      wrap(async () => {
        const t = tallies.get(key);
        if (t) dirty.delete(t);
        tallies.delete(key);
        await redis.del(prefix + key);
      }),
    async close() {
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
      await queued?.catch(() => {});
      await flush(1).catch(() => {});
      tallies.clear();
      dirty.clear();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

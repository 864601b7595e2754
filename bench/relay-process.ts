// The relay under test in `npm run bench -- relay`, in its own process (or, with
// RELAY_WORKERS > 1, a node:cluster primary whose workers share the port, as the gateway's
// `workers` do). Settings come from the environment; prints `ready` once every relay listens
// and stops on SIGTERM. With a Redis URL the workers count rates and fan out through Redis.
import cluster from 'node:cluster';
import { createMemoryCounters, createRedisCounters, RELAY_COUNTER_BATCHING } from '../storage/counters.js';
import { openPostgres } from '../storage/db.js';
import { createFanoutTransport } from '../relay/fanout.js';
import type { RelayLogger } from '../relay/context.js';
import { startRelayServer } from '../relay/server.js';

/** Limits for load from one address: no rate limits, room for the benchmark's connections. */
export const BENCH_RELAY_LIMITS = {
  publishesPerIp: 1_000_000_000,
  publishesPerKey: 1_000_000_000,
  connectionsPerIp: 5_000,
};

export interface RelayProcessEnv {
  /** PostgreSQL URL (with the benchmark's schema in `options`). */
  RELAY_DB_URL: string;
  RELAY_PORT: string;
  RELAY_WORKERS: string;
  /** Redis for counters and fan-out; empty for in-memory counters and no fan-out. */
  RELAY_REDIS_URL: string;
  RELAY_NAMESPACE: string;
}

const READY = 'relay-ready';

function env(name: keyof RelayProcessEnv): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

const logger: RelayLogger = {
  debug: () => {},
  info: () => {},
  warn: (msg, fields) => console.error('relay warn', msg, fields),
  error: (msg, fields) => console.error('relay error', msg, fields),
};

async function serve(): Promise<() => Promise<void>> {
  const redisUrl = env('RELAY_REDIS_URL') || undefined;
  const namespace = env('RELAY_NAMESPACE');
  const db = await openPostgres(env('RELAY_DB_URL'));
  // As the gateway gives its relay: pre-counted in the process, synced to Redis in batches.
  const counters = redisUrl ? await createRedisCounters(redisUrl, namespace, { batching: RELAY_COUNTER_BATCHING }) : createMemoryCounters();
  const fanout = await createFanoutTransport({ redisUrl, db, namespace, logger });
  const port = Number(env('RELAY_PORT'));
  const relay = await startRelayServer({ host: '127.0.0.1', port, db, counters, logger, limits: BENCH_RELAY_LIMITS, ...(fanout ? { fanout } : {}) });
  return async () => {
    await relay.close();
    await counters.close();
    await db.close();
  };
}

async function primary(workers: number): Promise<void> {
  let ready = 0;
  const forked = Array.from({ length: workers }, () => cluster.fork());
  for (const w of forked) {
    w.on('message', (m) => {
      if (m === READY && ++ready === workers) console.log(READY);
    });
    w.on('exit', (code) => {
      if (code !== 0) console.error(`relay worker exited with ${code}`);
    });
  }
  process.on('SIGTERM', () => {
    for (const w of forked) w.send('stop');
  });
}

async function worker(): Promise<void> {
  const stop = await serve();
  const finish = () => void stop().then(() => process.exit(0));
  if (cluster.isWorker) {
    process.on('message', (m) => m === 'stop' && finish());
    process.on('SIGTERM', () => {});
    process.send!(READY);
  } else {
    process.on('SIGTERM', finish);
    console.log(READY);
  }
}

const workers = Number(env('RELAY_WORKERS'));
(workers > 1 && cluster.isPrimary ? primary(workers) : worker()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

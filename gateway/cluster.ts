// Several gateway processes on one machine (config `workers`, one per core): the primary
// prepares what must exist once (data directory, gateway secret, TLS certificate), forks the
// workers and supervises them; each worker runs the whole gateway, and node:cluster shares
// the listening ports between them. Only worker 0 serves the admin socket. A worker that dies
// after it was serving is replaced; one that fails to start stops them all (a configuration
// or storage problem would only fail again). On SIGINT/SIGTERM the primary asks every worker
// to stop and waits for them.
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/schema.js';
import { systemRng } from '../services/random.js';
import type { Logger } from './log.js';
import { loadGatewaySecret } from './secret.js';
import { prepareDataDir } from './storage.js';
import { loadTlsCredentials } from './tls.js';

/** Environment variable telling a worker its index (0 serves the admin socket). */
export const WORKER_INDEX_ENV = 'LNMP_WORKER_INDEX';
/** The message the primary sends a worker to stop it. */
export const STOP_MESSAGE = 'lnmp:stop';
/** The message a worker sends once its gateway is serving. */
export const READY_MESSAGE = 'lnmp:ready';
/** Wait before replacing a worker that died, so a crash loop does not spin. */
export const RESTART_DELAY_MS = 1_000;
/** How long the primary waits for workers to stop before killing them. */
export const WORKER_STOP_TIMEOUT_MS = 15_000;

export function isClusterPrimary(config: Pick<Config, 'workers'>): boolean {
  return config.workers > 1 && cluster.isPrimary;
}

/** In a worker: tells the primary the gateway is serving. */
export function reportReady(): void {
  process.send?.(READY_MESSAGE);
}

/** In a worker: its index; undefined in a single-process gateway. */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env[WORKER_INDEX_ENV] ?? '0') : undefined;
}

/**
 * In a worker: resolves when the primary asks it to stop (or is gone). Signals are the
 * primary's to handle: a terminal's Ctrl-C reaches the whole process group, and a worker
 * must not stop twice.
 */
export function waitForPrimaryStop(): Promise<string> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  return new Promise((resolve) => {
    process.on('message', (m) => m === STOP_MESSAGE && resolve('primary'));
    process.once('disconnect', () => resolve('primary gone'));
  });
}

/**
 * The primary's whole life: prepare, fork, supervise, stop. Resolves with true once every
 * worker exited after a stop signal, false when a worker failed to start (the others are stopped).
 */
export async function runPrimary(config: Config, logger: Logger, stopped: Promise<string>): Promise<boolean> {
  prepareDataDir(config.dataDir);
  loadGatewaySecret(config, systemRng);
  await loadTlsCredentials(config);
  let stopping = false;
  let failed!: (reason: string) => void;
  const startFailure = new Promise<string>((resolve) => (failed = resolve));
  const workers = new Map<number, Worker>();
  const fork = (index: number) => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    let ready = false;
    workers.set(index, worker);
    worker.on('message', (m) => {
      if (m === READY_MESSAGE) ready = true;
    });
    worker.on('exit', (code, signal) => {
      workers.delete(index);
      if (stopping) return;
      logger.error('worker exited', { worker: index, code, signal });
      if (!ready) failed(`worker ${index} failed to start`);
      else setTimeout(() => stopping || fork(index), RESTART_DELAY_MS);
    });
  };
  for (let i = 0; i < config.workers; i++) fork(i);
  logger.info('workers started', { workers: config.workers });
  const signal = await Promise.race([stopped, startFailure]);
  stopping = true;
  logger.info('stopping', { signal });
  const exits = [...workers.values()].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
  // A worker that is exiting on its own has closed its channel; it needs no message.
  for (const w of workers.values()) if (w.isConnected()) w.send(STOP_MESSAGE, () => {});
  const timer = setTimeout(() => {
    for (const w of workers.values()) w.kill('SIGKILL');
  }, WORKER_STOP_TIMEOUT_MS);
  await Promise.all(exits);
  clearTimeout(timer);
  return !signal.startsWith('worker ');
}

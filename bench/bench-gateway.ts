// What the front-end benchmarks share: the gateway started in-process on PostgreSQL
// (DATABASE_URL, default the machine's test database) in a fresh schema that is dropped
// afterwards, every listener on a free port; and a user's INBOX filled with the generated
// messages of bench/imap-clients.ts through MessageService.deliver, re-wrapped as they arrive.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { AccountService } from '../services/account-service.js';
import { MAX_DELIVERY_BATCH } from '../services/delivery-batcher.js';
import { MessageService } from '../services/message-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres, type Db } from '../storage/db.js';
import { benchMessage } from './imap-clients.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchGateway {
  readonly gateway: RunningGateway;
  /** A pool on the gateway's schema, for seeding and the benchmark's own service calls. */
  readonly db: Db;
  close(): Promise<void>;
}

/** The gateway on a fresh schema named after `name`, hosting `domain`. */
export async function startBenchGateway(name: string, domain = 'bench.test'): Promise<BenchGateway> {
  const schema = `bench_${name}_${randomBytes(4).toString('hex')}`;
  const admin = await openPostgres(URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const dataDir = mkdtempSync(join(tmpdir(), `lnmp-bench-${name}-`));
  const url = `${URL}${URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const config = loadConfig({
    env: { DATABASE_URL: url, LNMP_DATA_DIR: dataDir, LNMP_DOMAIN: domain, LNMP_HOSTNAME: `mx.${domain}`, LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_HTTP_PORT: '0', LNMP_LOG_LEVEL: 'error', LNMP_GATEWAY_SECRET: randomBytes(32).toString('hex') },
    readFile: () => '',
  }).config;
  const gateway = await startGateway(config, createLogger({ level: 'error' }), {});
  const db = await openPostgres(url, { poolSize: 20 });
  return {
    gateway,
    db,
    async close() {
      await db.close();
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

export interface SeededMailbox {
  readonly userId: number;
  readonly deliverMs: number;
  readonly rewrapMs: number;
  /** Mean size of the generated messages, in bytes. */
  readonly meanBytes: number;
}

/** Writers delivering at once by default: enough to fill the DeliveryBatcher's statements. */
export const SEED_WRITERS = MAX_DELIVERY_BATCH;

/**
 * Creates `address` (with a cheap KDF, so that logins measure the protocol, not scrypt) and
 * delivers `count` generated messages to its INBOX from `concurrency` writers, an hour apart,
 * through MessageService.deliver (sealed to the public key, in DeliveryBatcher statements) as
 * the MX does. The user is logged in from the start, so the re-wrap under the mailbox key (and
 * the threading) runs alongside the deliveries, as it does for a user who is online while mail
 * arrives (unless `rewrapAlongside` is false: then all of it after the last delivery). The
 * stored rows are the same either way: blobs sealed with the mailbox key, threads assigned.
 */
export async function seedMailbox(
  db: Db,
  opts: { address: string; password: string; count: number; concurrency?: number; rewrapBatch?: number; rewrapAlongside?: boolean },
): Promise<SeededMailbox> {
  const accounts = new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
  const messages = new MessageService(db, { rng: systemRng });
  const { userId } = await accounts.createUser({ address: opts.address, password: opts.password });
  const account = await accounts.authenticate(opts.address, opts.password);
  let t = performance.now();
  let next = 0;
  let bytes = 0;
  let delivering = true;
  const rewrapper = (async () => {
    while (delivering && opts.rewrapAlongside !== false) {
      if ((await messages.rewrapPending(account, opts.rewrapBatch)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? SEED_WRITERS }, async () => {
      while (next < opts.count) {
        const raw = benchMessage(next++);
        bytes += raw.length;
        await messages.deliver({ userId, raw, internalDate: new Date(Date.UTC(2026, 0, 1) + next * 3_600_000) });
      }
    }));
  } finally {
    delivering = false;
    await rewrapper;
  }
  const deliverMs = performance.now() - t;
  t = performance.now();
  await messages.rewrapPending(account, opts.rewrapBatch);
  account.lock();
  return { userId, deliverMs, rewrapMs: performance.now() - t, meanBytes: bytes / Math.max(1, opts.count) };
}

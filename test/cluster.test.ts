// `lnmp-gateway start` with LNMP_WORKERS=2: two worker processes share the MX port (both
// deliver), one admin socket, a dead worker is replaced, and SIGTERM stops them all (exit 0).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres } from '../storage/db.js';
import { assertBuilt, spawnCli, watchLog, waitForExit } from './helpers/cli-process.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import { TEST_REDIS_URL } from './helpers/services.js';

let dataDir: string;
let schema: TestSchema;

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'lnmp-cluster-test-'));
  schema = await createTestSchema();
});

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await schema.dispose();
});

describe('lnmp-gateway start with 2 workers', () => {
  it('shares the MX port between workers, keeps one admin socket, replaces a dead worker and stops on SIGTERM', async () => {
    const child = spawnCli(['start'], {
      LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, LNMP_WORKERS: '2',
      LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_LOG_LEVEL: 'info',
    });
    const log = watchLog(child);
    const exited = waitForExit(child, 60_000);
    const smtp = (worker: number) => log.waitFor((e) => e.msg === 'listening' && e.service === 'smtp' && e['worker'] === worker, 20_000);
    const [first, second] = await Promise.all([smtp(0), smtp(1)]);
    // node:cluster hands both workers the one port the primary bound.
    expect(second['port']).toBe(first['port']);
    const port = first['port'] as number;
    expect(log.entries.filter((e) => e.msg === 'listening' && e.service === 'admin').map((e) => e['worker'])).toEqual([0]);
    expect(existsSync(join(dataDir, 'admin.sock'))).toBe(true);

    const db = await openPostgres(schema.url);
    const user = await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address: 'cluster@example.test', password: 'password123' });
    for (let i = 0; i < 12; i++) {
      // A new connection per message: the primary deals connections out to the workers in turn.
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await transport.sendMail({ envelope: { from: 'a@remote.test', to: [user.address] }, raw: `Subject: ${i}\r\n\r\nhello ${i}\r\n` });
      transport.close();
    }
    const [stored] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE user_id = $1', [user.userId]);
    await db.close();
    expect(stored!.n).toBe(12);
    const delivered = log.entries.filter((e) => e.msg === 'delivered');
    expect(delivered).toHaveLength(12);
    expect(new Set(delivered.map((e) => e['worker']))).toEqual(new Set([0, 1]));

    const victim = (await log.waitFor((e) => e.msg === 'starting' && e['worker'] === 1))['pid'] as number;
    process.kill(victim, 'SIGKILL');
    await log.waitFor((e) => e.msg === 'worker exited' && e['worker'] === 1 && e['signal'] === 'SIGKILL');
    await log.waitFor((e) => e.msg === 'starting' && e['worker'] === 1 && e['pid'] !== victim, 20_000);
    await log.waitFor((e) => e.msg === 'listening' && e.service === 'smtp' && e['worker'] === 1 && log.entries.indexOf(e) > log.entries.findIndex((x) => x.msg === 'worker exited'), 20_000);

    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(log.entries.filter((e) => e.msg === 'stopped').map((e) => e['worker'] ?? 'primary').sort()).toEqual([0, 1, 'primary']);
    expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
  }, 90_000);

  it('stops and exits 1 when the workers cannot start (here: another gateway secret than the one the database was set up with)', async () => {
    const child = spawnCli(['start'], {
      LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, LNMP_WORKERS: '2', LNMP_GATEWAY_SECRET: 'another secret of more than 32 characters',
      LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
    });
    const result = await waitForExit(child, 60_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'lnmp-gateway: the gateway secret does not open the gateway identity stored in the database: every process of a deployment needs the same secret (LNMP_GATEWAY_SECRET, or the same gateway.secret file)\n',
    );
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('lnmp-gateway: a worker failed to start; see its error above');
    expect(result.stderr).not.toContain('another secret');
  });

  it('refuses 2 workers without DATABASE_URL and REDIS_URL (exit 2, one line each)', async () => {
    const child = spawnCli(['start'], { LNMP_DATA_DIR: dataDir, LNMP_WORKERS: '2' });
    const result = await waitForExit(child);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'lnmp-gateway: LNMP_WORKERS (workers): more than 1 needs databaseUrl (DATABASE_URL): the embedded database serves one process, got "2"\n' +
        'lnmp-gateway: LNMP_WORKERS (workers): more than 1 needs redisUrl (REDIS_URL) so the workers hear each other\'s changes, got "2"\n',
    );
  });
});

// Two gateway processes on one PostgreSQL and one Redis (two startGateway instances with
// their own connections, notifier and counters): an IMAP IDLE session on gateway 1 sees mail
// that arrived through gateway 2's MX within a second, and a login throttle reached through
// gateway 1's submission port holds at gateway 2's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres } from '../storage/db.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import { TEST_REDIS_URL } from './helpers/services.js';

let schema: TestSchema;
const dirs: string[] = [];
const gateways: RunningGateway[] = [];
const SECRET = randomBytes(32).toString('hex');
let address: string;

async function gatewayProcess(): Promise<RunningGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lnmp-scale-test-'));
  dirs.push(dataDir);
  const env = {
    DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, LNMP_GATEWAY_SECRET: SECRET, LNMP_DATA_DIR: dataDir,
    LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
  };
  const gateway = await startGateway(loadConfig({ env, readFile: () => '' }).config, createLogger({ level: 'error', write: () => {} }));
  gateways.push(gateway);
  return gateway;
}

beforeAll(async () => {
  schema = await createTestSchema();
  await gatewayProcess();
  await gatewayProcess();
  const db = await openPostgres(schema.url);
  address = `scale-${randomBytes(4).toString('hex')}@example.test`;
  await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address, password: 'password123' });
  await db.close();
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await schema.dispose();
});

describe('two gateway processes on one PostgreSQL and Redis', () => {
  it('IMAP IDLE on gateway 1 sees mail delivered through gateway 2 within a second', async () => {
    const [one, two] = gateways as [RunningGateway, RunningGateway];
    const client = new ImapFlow({ host: '127.0.0.1', port: one.imapsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: address, pass: 'password123' }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('Screener');
      try {
        const existsSeen = new Promise<number>((resolve) => client.on('exists', (e: { count: number }) => resolve(e.count)));
        const idling = client.idle();
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: two.smtpPort, secure: false, ignoreTLS: true });
        await transport.sendMail({ envelope: { from: 'x@remote.test', to: [address] }, raw: 'Subject: across processes\r\n\r\nhello\r\n' });
        transport.close();
        const acceptedAt = Date.now();
        const count = await existsSeen;
        // From the 250 of gateway 2 to the EXISTS on gateway 1's connection.
        expect(count).toBe(1);
        expect(Date.now() - acceptedAt).toBeLessThan(1000);
        void idling;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('a login throttle reached through gateway 1 holds at gateway 2', async () => {
    const [one, two] = gateways as [RunningGateway, RunningGateway];
    const attempt = async (port: number, pass: string) => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: address, pass } });
      try {
        await transport.verify();
        return 'ok';
      } catch (err) {
        return (err as { response?: string }).response ?? String(err);
      } finally {
        transport.close();
      }
    };
    for (let i = 0; i < 10; i++) expect(await attempt(one.submissionPort, 'wrong password')).toBe('535 5.7.8 authentication credentials invalid');
    expect(await attempt(two.submissionPort, 'password123')).toBe('454 4.7.0 too many failed logins, try again later');
  });
});

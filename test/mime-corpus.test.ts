// A corpus of real-world message shapes (test/fixtures/mime-corpus: plain, alternative with
// quoted-printable, mixed with a base64 attachment, forwarded message/rfc822, raw UTF-8
// headers, Latin-1 and ISO-2022-JP, broken MIME, a calendar invite, multipart/signed with a
// long line) through the whole gateway: APPEND then FETCH BODY[] over IMAP returns the exact
// bytes, and mail received by the MX is fetched over IMAP as trace headers + the exact bytes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

const CORPUS = new URL('./fixtures/mime-corpus/', import.meta.url).pathname;
const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort().map((name) => ({ name, raw: readFileSync(join(CORPUS, name)) }));

let schema: TestSchema;
let dataDir: string;
let gateway: RunningGateway;
let address: string;
let client: ImapFlow;

beforeAll(async () => {
  schema = await createTestSchema();
  dataDir = mkdtempSync(join(tmpdir(), 'lnmp-corpus-test-'));
  const env = { DATABASE_URL: schema.url, LNMP_DATA_DIR: dataDir, LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0' };
  gateway = await startGateway(loadConfig({ env, readFile: () => '' }).config, createLogger({ level: 'error', write: () => {} }));
  const db = await openPostgres(schema.url);
  address = `corpus-${randomBytes(4).toString('hex')}@example.test`;
  await new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } }).createUser({ address, password: 'password123' });
  await db.close();
  client = new ImapFlow({ host: '127.0.0.1', port: gateway.imapsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: address, pass: 'password123' }, logger: false });
  await client.connect();
});

afterAll(async () => {
  await client.logout();
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
  await schema.dispose();
});

async function fetchRaw(mailbox: string, uid: number): Promise<Buffer> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    // BODY.PEEK[]: the message exactly as stored.
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    if (!message || !message.source) throw new Error(`no message with UID ${uid} in ${mailbox}`);
    return message.source;
  } finally {
    lock.release();
  }
}

describe('the message corpus through the gateway', () => {
  it.each(corpus)('APPEND then FETCH BODY[] returns $name byte-exact', async ({ raw }) => {
    const appended = await client.append('INBOX', raw);
    expect(appended).toMatchObject({ uid: expect.any(Number) as number });
    const fetched = await fetchRaw('INBOX', (appended as { uid: number }).uid);
    expect(fetched.equals(raw)).toBe(true);
  });

  it.each(corpus)('mail received by the MX is fetched as trace headers + $name byte-exact', async ({ name, raw }) => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true, name: 'client.example.org' });
    await transport.sendMail({ envelope: { from: 'sender@example.org', to: [address] }, raw });
    transport.close();
    const lock = await client.getMailboxLock('Screener');
    let uid: number;
    try {
      // The new message reaches this session as EXISTS through the notifier; NOOP collects it.
      const expected = corpus.findIndex((c) => c.name === name) + 1;
      for (let i = 0; i < 250 && (client.mailbox ? client.mailbox.exists : 0) < expected; i++) {
        await client.noop();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      uid = (await client.search({ all: true }, { uid: true }) as number[]).at(-1)!;
    } finally {
      lock.release();
    }
    const fetched = await fetchRaw('Screener', uid);
    const head = fetched.subarray(0, fetched.length - raw.length).toString('latin1');
    expect(fetched.subarray(fetched.length - raw.length).equals(raw), name).toBe(true);
    expect(head).toMatch(/^Received: from client\.example\.org \(\[127\.0\.0\.1\]\)\r\n[^]*\r\nAuthentication-Results: mail\.example\.test;\r\n[^]*\r\n$/);
  });
});

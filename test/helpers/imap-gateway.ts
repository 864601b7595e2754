// An IMAP listener over a fresh PostgreSQL schema for the IMAP tests: real services, an
// in-process notifier, a self-signed certificate, users alice and bob on example.test, and
// imapflow clients that accept the certificate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { AccountService } from '../../services/account-service.js';
import { LoginThrottle, type LoginLimits } from '../../services/login-throttle.js';
import { MailboxService } from '../../services/mailbox-service.js';
import { MessageService } from '../../services/message-service.js';
import { systemRng } from '../../services/random.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { createMemoryCounters } from '../../storage/counters.js';
import { createNotifier, type Notifier } from '../../storage/notifier.js';
import { startImapServer, type ImapListener, type ImapServerOptions } from '../../gateway/imap/imap-server.js';
import { createLogger } from '../../gateway/log.js';
import { loadTlsCredentials, type TlsCredentials } from '../../gateway/tls.js';
import { openTestDb, type TestDb } from './databases.js';

export const IMAP_HOSTNAME = 'mail.example.test';
export const PASSWORD = 'password123';

export interface ImapGateway {
  t: TestDb;
  accounts: AccountService;
  mailboxes: MailboxService;
  messages: MessageService;
  notifier: Notifier;
  tls: TlsCredentials;
  alice: { userId: number };
  bob: { userId: number };
  /** Every account a login unlocked, in order (to check they are locked again). */
  unlocked: UnlockedAccount[];
  start(overrides?: Partial<ImapServerOptions> & { limits?: LoginLimits }): Promise<ImapListener>;
  /** A logged-in imapflow client over implicit TLS or STARTTLS. */
  client(port: number, opts?: Partial<ImapFlowOptions>): Promise<ImapFlow>;
  dispose(): Promise<void>;
}

export async function openImapGateway(): Promise<ImapGateway> {
  const t = await openTestDb('postgres');
  const notifier = await createNotifier({});
  const accounts = new AccountService(t.db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
  const mailboxes = new MailboxService(t.db, { rng: systemRng, notifier });
  const messages = new MessageService(t.db, { rng: systemRng, notifier });
  await accounts.addDomain('example.test');
  const alice = { userId: (await accounts.createUser({ address: 'alice@example.test', password: PASSWORD })).userId };
  const bob = { userId: (await accounts.createUser({ address: 'bob@example.test', password: PASSWORD })).userId };
  const root = mkdtempSync(join(tmpdir(), 'lnmp-imap-test-'));
  const tls = await loadTlsCredentials({ dataDir: root, hostname: IMAP_HOSTNAME, tls: {} });
  const unlocked: UnlockedAccount[] = [];
  const recording = {
    authenticate: async (address: string, password: string) => {
      const account = await accounts.authenticate(address, password);
      unlocked.push(account);
      return account;
    },
  };
  const listeners: ImapListener[] = [];
  const clients: ImapFlow[] = [];
  return {
    t, accounts, mailboxes, messages, notifier, tls, alice, bob, unlocked,
    async start(overrides = {}) {
      const { limits, ...rest } = overrides;
      const listener = await startImapServer({
        host: '127.0.0.1',
        port: 0,
        hostname: IMAP_HOSTNAME,
        tls,
        accounts: recording,
        throttle: new LoginThrottle(createMemoryCounters(), limits ?? { accountFailures: 3, ipFailures: 100, windowMs: 60_000 }),
        mailboxes,
        messages,
        notifier,
        logger: createLogger({ level: 'error', write: () => {} }),
        ...rest,
      });
      listeners.push(listener);
      return listener;
    },
    async client(port, opts = {}) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port,
        secure: true,
        tls: { rejectUnauthorized: false },
        auth: { user: 'alice@example.test', pass: PASSWORD },
        logger: false,
        ...opts,
      });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    async dispose() {
      await Promise.all(clients.map((c) => (c.usable ? c.logout().catch(() => {}) : undefined)));
      await Promise.all(listeners.map((l) => l.close()));
      await notifier.close();
      await t.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

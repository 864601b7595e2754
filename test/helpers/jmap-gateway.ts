// A JMAP front-end over real HTTP on 127.0.0.1 and a fresh PostgreSQL schema for the JMAP
// tests: real services publishing to an in-process notifier (JMAP push listens on it), users
// alice and bob on example.test, a login throttle with small limits, and jmap-jam clients
// (which speak Bearer; ours is given Basic credentials).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountService } from '../../services/account-service.js';
import { BlobService } from '../../services/blob-service.js';
import { LoginThrottle } from '../../services/login-throttle.js';
import { MailboxService } from '../../services/mailbox-service.js';
import { MessageService } from '../../services/message-service.js';
import { systemRng } from '../../services/random.js';
import { createMemoryCounters } from '../../storage/counters.js';
import { createNotifier, type Notifier } from '../../storage/notifier.js';
import { clientSetupFrom } from '../../gateway/http/client-setup.js';
import { createGatewayRouter } from '../../gateway/http/gateway-router.js';
import { closeHttpServer, createHttpServer } from '../../gateway/http/server.js';
import { createLogger } from '../../gateway/log.js';
import { loadConfig } from '../../config/load.js';
import { openTestDb, type TestDb } from './databases.js';

export const PASSWORD = 'password123';

/**
 * What the tests use of jmap-jam's client. Its published types import jmap-rfc-types' .ts
 * sources, which this project's compiler settings refuse, so the module is loaded untyped.
 */
export interface Jam {
  authHeader: string;
  session: Promise<Record<string, unknown>>;
  request(invocation: [string, Record<string, unknown>]): Promise<[Record<string, unknown>, { sessionState: string }]>;
  requestMany(build: (t: JamDrafts) => Record<string, JamDraft>): Promise<[Record<string, Record<string, unknown>>, { sessionState: string }]>;
  getPrimaryAccount(): Promise<string>;
}
export type JamDraft = { $ref(path: string): unknown };
export type JamDrafts = Record<string, Record<string, (args: Record<string, unknown>) => JamDraft>>;
interface JamModule {
  default: (new (config: { sessionUrl: string; bearerToken: string }) => Jam) & { loadSession(url: string, auth: string): Promise<Record<string, unknown>> };
}
const JMAP_JAM = 'jmap-jam';
const { default: JamClient } = (await import(JMAP_JAM)) as JamModule;

export interface JmapGateway {
  t: TestDb;
  accounts: AccountService;
  mailboxes: MailboxService;
  messages: MessageService;
  /** The notifier the services publish to and JMAP push listens on. */
  notifier: Notifier;
  alice: { userId: number; accountId: string };
  bob: { userId: number; accountId: string };
  /** e.g. http://127.0.0.1:40123 */
  base: string;
  /** "Basic ..." for an address and password. */
  basic(address: string, password?: string): string;
  /** A jmap-jam client logged in as `address`. */
  jam(address?: string): Jam;
  /** POST to the API with alice's credentials unless headers say otherwise. */
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string | null; json: unknown }>;
  dispose(): Promise<void>;
}

export interface JmapHttp {
  /** e.g. http://127.0.0.1:40123 */
  readonly base: string;
  basic(address: string, password?: string): string;
  jam(address?: string): Jam;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; type: string | null; json: unknown }>;
  close(): Promise<void>;
}

/** The gateway's HTTP router with JMAP over the given services, listening on 127.0.0.1. */
export async function startJmapHttp(services: { t: TestDb; accounts: AccountService; mailboxes: MailboxService; messages: MessageService; notifier: Notifier }): Promise<JmapHttp> {
  const { accounts, mailboxes, messages, notifier } = services;
  const blobs = new BlobService(services.t.db, { rng: systemRng, notifier });
  const throttle = new LoginThrottle(createMemoryCounters(), { accountFailures: 3, ipFailures: 100, windowMs: 60_000 });
  const { config } = loadConfig({ env: { LNMP_HOSTNAME: 'mail.example.test' }, readFile: () => '' });
  let base = '';
  const logger = createLogger({ level: 'error', write: () => {} });
  const router = createGatewayRouter({
    version: '0.0.0',
    setup: clientSetupFrom(config, (domain) => accounts.isHostedDomain(domain)),
    jmap: { baseUrl: () => base, accounts, throttle, mailboxes, messages, blobs, notifier, logger, rng: systemRng },
  });
  const server: Server = createHttpServer(router, logger);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const basic = (address: string, password = PASSWORD) => `Basic ${Buffer.from(`${address}:${password}`).toString('base64')}`;
  return {
    base,
    basic,
    jam(address = 'alice@example.test') {
      const jam = new JamClient({ sessionUrl: `${base}/.well-known/jmap`, bearerToken: 'unused' });
      // jam sends "Bearer <token>"; the gateway takes Basic, so the session is loaded again with it.
      jam.session.catch(() => {});
      jam.authHeader = basic(address);
      jam.session = JamClient.loadSession(`${base}/.well-known/jmap`, jam.authHeader);
      return jam;
    },
    async post(body, headers = {}) {
      const response = await fetch(`${base}/jmap/api`, {
        method: 'POST',
        headers: { authorization: basic('alice@example.test'), 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, type: response.headers.get('content-type'), json: await response.json() };
    },
    close: () => closeHttpServer(server),
  };
}

export async function openJmapGateway(): Promise<JmapGateway> {
  const t = await openTestDb('postgres');
  const accounts = new AccountService(t.db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
  const notifier = await createNotifier({});
  const mailboxes = new MailboxService(t.db, { rng: systemRng, notifier });
  const messages = new MessageService(t.db, { rng: systemRng, notifier });
  await accounts.addDomain('example.test');
  const a = await accounts.createUser({ address: 'alice@example.test', password: PASSWORD });
  const b = await accounts.createUser({ address: 'bob@example.test', password: PASSWORD });
  const http = await startJmapHttp({ t, accounts, mailboxes, messages, notifier });
  return {
    t, accounts, mailboxes, messages, notifier,
    alice: { userId: a.userId, accountId: `A${a.userId}` },
    bob: { userId: b.userId, accountId: `A${b.userId}` },
    base: http.base,
    basic: http.basic,
    jam: http.jam,
    post: http.post,
    async dispose() {
      await http.close();
      await notifier.close();
      await t.dispose();
    },
  };
}

// The gateway process: opens storage, hosts the configured domain, and starts every
// listener (the admin socket, HTTP and the SMTP MX for now; submission, IMAP, JMAP and the
// relay join here),
// then stops them again in reverse order.
import { startLnmpNetwork, type LnmpNetwork } from './lnmp/network.js';
import { findUserDocument } from '../services/user-document.js';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import type { IdentityDocument } from '../core/index.js';
import { AccountService } from '../services/account-service.js';
import { ContactService } from '../services/contact-service.js';
import { gatewayIdentityDocument } from '../services/gateway-document.js';
import { loadOrCreateGatewayIdentity } from '../services/gateway-identity.js';
import { InboundMail } from '../services/inbound-mail.js';
import { MailboxService } from '../services/mailbox-service.js';
import { MessageService } from '../services/message-service.js';
import { BlobService } from '../services/blob-service.js';
import { DkimKeys } from '../services/dkim-keys.js';
import { LoginThrottle } from '../services/login-throttle.js';
import { deliverSystemMail } from '../services/system-mail.js';
import { OutboundQueue } from '../services/outbound-queue.js';
import { PostageService } from '../services/postage-service.js';
import { DevLightningBackend } from '../lightning/dev-backend.js';
import type { LightningBackend } from '../lightning/backend.js';
import { openLightning } from './postage/lightning.js';
import { lazyPaySource } from './postage/pay-source.js';
import { startPostageWorker, type PostageWorker } from './postage/worker.js';
import { SubmissionService } from '../services/submission.js';
import { EmailSubmissionService } from '../services/email-submission-service.js';
import { IdentityService } from '../services/identity-service.js';
import { VacationService } from '../services/vacation-service.js';
import type { JmapSubmissionServices } from './jmap/context.js';
import type { JmapPostageServices } from './jmap/postage-objects.js';
import { createCounters, RELAY_COUNTER_BATCHING, type Counters } from '../storage/counters.js';
import { startRelayServer, type RunningRelay } from '../relay/server.js';
import { createFanoutTransport } from '../relay/fanout.js';
import { createNotifier, type Notifier } from '../storage/notifier.js';
import { systemRng } from '../services/random.js';
import type { Db } from '../storage/db.js';
import type { AdminApi } from './admin/api.js';
import { adminSocketPath } from './admin/protocol.js';
import { startAdminServer, type AdminServer } from './admin/server.js';
import { localAdminApi } from './admin/local-api.js';
import { devPayer, type RunningPostage } from './admin/postage-admin.js';
import { StatusBoard } from './admin/status.js';
import { clientSetupFrom } from './http/client-setup.js';
import { createGatewayRouter } from './http/gateway-router.js';
import { closeHttpServer, createHttpServer } from './http/server.js';
import type { ReadinessCheck } from './http/routes/readyz.js';
import { countingFailures, createGatewayMetrics, postageTotals, timedDb } from './metrics.js';
import type { Logger } from './log.js';
import { systemResolver, type DNSResolver } from './smtp/authentication.js';
import type { MxTiming } from './smtp/context.js';
import { bindPort, listenFailed, type Listener } from './listen.js';
import { startMxServer } from './smtp/mx-server.js';
import { startImapServer } from './imap/imap-server.js';
import { generateDkimKey } from './smtp/dkim.js';
import { startOutboundWorker, type OutboundWorker } from './smtp/outbound-worker.js';
import { startSubmissionServer } from './smtp/submission-server.js';
import { openStorage, prepareDataDir } from './storage.js';
import { loadGatewaySecret } from './secret.js';
import { loadTlsCredentials } from './tls.js';
import { VERSION } from './version.js';

export interface RunningGateway {
  /** The HTTP port actually bound (differs from the config when it asked for port 0). */
  readonly httpPort: number;
  /** The SMTP (MX) port actually bound. */
  readonly smtpPort: number;
  /** The submission (STARTTLS) port actually bound. */
  readonly submissionPort: number;
  /** The implicit-TLS submission port, when configured. */
  readonly submissionsPort: number | undefined;
  /** The IMAP (STARTTLS) and IMAPS ports actually bound. */
  readonly imapPort: number;
  readonly imapsPort: number;
  /** The embedded LNMP relay's WebSocket port actually bound. */
  readonly relayPort: number;
  /** Path of the admin socket, unless it was not asked for. */
  readonly adminSocket: string | undefined;
  /** The change notifier the gateway publishes to (in-process, or Redis with REDIS_URL). */
  readonly notifier: Notifier;
  /**
   * The quick start's demo account: creates `demo@<domain>` with a random password when the
   * gateway hosts no user yet, and returns it (the only time the password is shown).
   */
  createDemoUser(): Promise<{ address: string; password: string } | undefined>;
  /** Stops accepting, finishes or cuts requests in flight, closes storage, and resolves once closed. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** DNS for SPF/DKIM/DMARC; defaults to node:dns with `config.dns.servers` (or the system's). */
  readonly resolver?: DNSResolver;
  /** Per-message timings of the MX (benchmarks). */
  readonly observeMx?: (timing: MxTiming) => void;
  /** Serve the admin socket (default true); of several worker processes only one does. */
  readonly adminSocket?: boolean;
}

export async function startGateway(config: Config, logger: Logger, options: GatewayOptions = {}): Promise<RunningGateway> {
  let admin: AdminServer | undefined;
  let db: Db | undefined;
  let http: Server | undefined;
  const smtp: Listener[] = [];
  let notifier: Notifier | undefined;
  let counters: Counters | undefined;
  let relayCounters: Counters | undefined;
  let outbound: OutboundWorker | undefined;
  let relay: RunningRelay | undefined;
  let lightning: LightningBackend | undefined;
  let postageWorker: PostageWorker | undefined;
  let network: LnmpNetwork | undefined;
  const quietly = (service: string, close: () => Promise<void>) => close().catch((err: unknown) => logger.error('close failed', { service, err }));
  // Front-ends close before the storage their requests use.
  const closeAll = async () => {
    const [h, a, n, c, d, o, r] = [http, admin, notifier, counters, db, outbound, relay];
    await Promise.all(smtp.map((s) => quietly('smtp', () => s.close())));
    if (r) await quietly('relay', () => r.close());
    // After the listeners (nothing new is queued), before the notifier and storage its DSNs use.
    if (network) await quietly('lnmp', () => network!.close());
    if (postageWorker) await quietly('postage', () => postageWorker!.close());
    if (o) await quietly('outbound', () => o.close());
    if (lightning) await quietly('lightning', () => lightning!.close());
    if (h) await quietly('http', () => closeHttpServer(h));
    if (a) await quietly('admin', () => a.close());
    if (n) await quietly('notifier', () => n.close());
    if (relayCounters && relayCounters !== c) await quietly('relay counters', () => relayCounters!.close());
    if (c) await quietly('counters', () => c.close());
    if (d) await quietly('storage', () => d.close());
  };
  try {
    prepareDataDir(config.dataDir);
    // The postage service, once the gateway secret is loaded (below); the admin API and the pay page ask it.
    const postageRef: { service?: PostageService; running?: RunningPostage } = {};
    // JMAP's identities, submissions and vacation response: they need the outbound queue, built after the secret.
    const jmapSubmission: { services?: JmapSubmissionServices } = {};
    // JMAP's postage cases, policy and contacts (urn:lnmp:params:jmap:postage), once postage runs.
    const jmapPostage: { services?: JmapPostageServices } = {};
    // What `lnmp-gateway status` reads; filled in once every listener is bound.
    const board = new StatusBoard(config, VERSION);
    // The admin socket opens before the database: it claims the data directory (an embedded
    // database may be opened by one process only), and requests wait until storage is ready.
    let apiReady!: (api: AdminApi) => void;
    let apiFailed!: (err: unknown) => void;
    let accounts: AccountService;
    const api = new Promise<AdminApi>((resolve, reject) => ((apiReady = resolve), (apiFailed = reject)));
    if (options.adminSocket === false) {
      api.catch(() => {});
    } else {
      admin = await startAdminServer({ path: adminSocketPath(config.dataDir), api, logger: logger.child({ service: 'admin' }) });
      logger.info('listening', { service: 'admin', path: admin.path });
    }

    // Metrics first, so storage is timed from its first query.
    const metrics = createGatewayMetrics({ logger: logger.child({ service: 'metrics' }) });
    try {
      const storage = timedDb(await openStorage(config), metrics.observeQuery);
      db = storage;
      metrics.collectFrom({ postage: () => postageTotals(storage) });
      accounts = new AccountService(db, { rng: systemRng });
      if (await accounts.ensureDomain(config.domain)) logger.info('domain added', { domain: config.domain });
      apiReady(localAdminApi(config, db, accounts, { status: board.read, postage: () => postageRef.running }));
    } catch (err) {
      apiFailed(err);
      throw err;
    }

    // Changes are announced in-process, or over Redis to every gateway when REDIS_URL is set.
    const notifierLog = logger.child({ service: 'notifier' });
    // Processes of one deployment share its database: the Redis namespace of change events and
    // counters is derived from it, so other deployments on the same Redis stay apart.
    const namespace = redisNamespace(config);
    notifier = await createNotifier({ ...(config.redisUrl ? { redisUrl: config.redisUrl, namespace } : {}), onError: (err) => notifierLog.warn('notifier error', { err }) });
    logger.info('notifier ready', { transport: config.redisUrl ? 'redis' : 'in-process' });
    counters = await createCounters(config.redisUrl ? { redisUrl: config.redisUrl, namespace } : {});
    // The relay's publish limits are pre-counted per process and synced to Redis in batches (no
    // round trip per PUBLISH; the overshoot bound is in storage/counters.ts); logins count exactly.
    relayCounters = config.redisUrl ? await createCounters({ redisUrl: config.redisUrl, namespace, batching: RELAY_COUNTER_BATCHING }) : counters;
    const relayLog = logger.child({ service: 'relay' });
    // Every worker (and node) runs its own relay: envelopes stored by one reach the live
    // subscriptions of all through Redis, or PostgreSQL LISTEN/NOTIFY without it.
    const fanout = await createFanoutTransport({ redisUrl: config.redisUrl, postgresUrl: config.databaseUrl, db, namespace, logger: relayLog });
    relay = await startRelayServer({
      host: config.listenHost,
      port: config.ports.relay,
      ...relayPublicUrl(config),
      db,
      counters: relayCounters,
      logger: relayLog,
      ...(fanout ? { fanout } : {}),
      onConnection: board.countRelayConnections(() => metrics.connectionOpened('relay')),
      observePublish: metrics.observePublish,
      // Envelopes for users of this gateway, once the services below exist; until then the sender retries.
      deliver: (message) => (network ? network.deliver(message) : Promise.reject(new Error('the gateway is starting'))),
      forward: (message, relays) => (network ? network.forward(message, relays) : Promise.reject(new Error('the gateway is starting'))),
    }).catch((err: NodeJS.ErrnoException) => {
      throw listenFailed(err, config.listenHost, config.ports.relay, 'relay');
    });
    logger.info('listening', { service: 'relay', host: config.listenHost, port: relay.port, fanout: fanout?.name ?? 'none' });

    const httpLog = logger.child({ service: 'http' });
    // Filled in once the gateway identity is loaded below; served at /.well-known/lnmp.
    const published: { document?: IdentityDocument } = {};
    const messages = new MessageService(db, { rng: systemRng, notifier });
    const mailboxes = new MailboxService(db, { rng: systemRng, notifier });
    const blobs = new BlobService(db, { rng: systemRng, notifier });
    const throttle = new LoginThrottle(counters);
    // /readyz: the database, Redis when configured (a GET through the counters' connection).
    const ready = { db, counters };
    const readiness: Record<string, ReadinessCheck> = {
      database: () => ready.db.query('SELECT 1'),
      ...(config.redisUrl ? { redis: () => ready.counters.peek('readyz') } : {}),
    };
    // JMAP session URLs: the HTTP port bound (known after listen) on the configured hostname,
    // or on the listening address in development, where the demo hostname does not resolve.
    let httpBase = '';
    const router = createGatewayRouter({
      version: VERSION,
      setup: clientSetupFrom(config, (domain) => accounts.isHostedDomain(domain)),
      identityDocument: () => published.document,
      userDocuments: (domain, username) => findUserDocument(ready.db, domain, username),
      // The postage service exists once the gateway secret is loaded (below); until then no page exists.
      pay: { source: lazyPaySource(() => postageRef.service), devMode: config.lightning.backend === 'dev' },
      jmap: { baseUrl: () => httpBase, accounts, throttle: countingFailures(throttle, () => metrics.authFailed('jmap')), mailboxes, messages, blobs, submission: () => jmapSubmission.services, postage: () => jmapPostage.services, notifier, logger: logger.child({ service: 'jmap' }), rng: systemRng },
      metrics,
      readiness,
    });
    const server = createHttpServer(router, httpLog);
    server.on('connection', (socket: Socket) => socket.once('close', metrics.connectionOpened('http')));
    const httpPort = await bindPort(server, () => server.address(), config.listenHost, config.ports.http, 'http');
    httpBase = `http://${config.mode === 'development' ? config.listenHost : config.hostname}:${httpPort}`;
    http = server;
    // After a successful bind, server errors are rare and not fatal; an unhandled 'error'
    // event would crash the process with a stack trace.
    server.on('error', (err) => httpLog.error('server error', { err }));
    logger.info('listening', { service: 'http', host: config.listenHost, port: httpPort });

    // Where this gateway's users are reached: the configured relays, else the embedded one.
    const ownRelays = config.relays.length > 0 ? config.relays : [relay.url];
    const secret = loadGatewaySecret(config, systemRng);
    if (secret.source === 'generated') logger.info('gateway secret generated', { file: 'gateway.secret' });
    const gatewayIdentity = await loadOrCreateGatewayIdentity(db, secret.bytes, systemRng);
    logger.info('gateway identity', { publicKey: gatewayIdentity.publicKey });
    published.document = gatewayIdentityDocument(gatewayIdentity, { hostname: config.hostname, domain: config.domain, relays: ownRelays, nowMs: Date.now(), rng: systemRng });
    const contacts = new ContactService(db, { gatewaySecret: secret.bytes, notifier });
    const queue = new OutboundQueue(db, { gatewaySecret: secret.bytes, rng: systemRng, notifier });
    const backend = await openLightning(config, db, secret.bytes, logger.child({ service: 'lightning' }));
    lightning = backend;
    readiness['lightning'] = () => backend.nodeInfo();
    // Development: "paying" one of the dev backend's own invoices (dev pay, the pay page's button).
    const devPay = backend instanceof DevLightningBackend ? devPayer(backend) : undefined;
    const postage = new PostageService({
      db,
      backend,
      gatewaySecret: secret.bytes,
      rng: systemRng,
      settings: config.postage,
      contacts,
      messages,
      notifier,
      queue,
      onQueued: () => outbound?.kick(),
      payUrl: (id) => `${config.publicUrl ?? (config.mode === 'development' ? httpBase : `https://${config.hostname}`)}/pay/${id}`,
      hostname: config.hostname,
      ...(devPay ? { devPay } : {}),
      log: logger.child({ service: 'postage' }),
      onInvoiceFailure: () => metrics.invoiceFailed(),
    });
    postageRef.service = postage;
    jmapPostage.services = { postage, contacts };
    postageRef.running = { ...(devPay ? { devPay } : {}), notifier };
    const vacation = new VacationService({ db, gatewaySecret: secret.bytes, rng: systemRng, queue, onQueued: () => outbound?.kick(), hostname: config.hostname, log: logger.child({ service: 'vacation' }), notifier });
    const inbound = new InboundMail({ messages, gate: postage, gateway: gatewayIdentity, rng: systemRng, vacation });
    const resolver = options.resolver ?? systemResolver(config.dns.servers);
    const dkimKeys = new DkimKeys(db, { gatewaySecret: secret.bytes, rng: systemRng, generate: generateDkimKey });
    const worker = startOutboundWorker({
      queue,
      dkimKeys,
      isHostedDomain: (domain) => accounts.isHostedDomain(domain),
      deliverSystemMail: (userId, raw) => deliverSystemMail({ messages, gateway: gatewayIdentity, rng: systemRng }, userId, raw),
      config,
      resolver,
      logger: logger.child({ service: 'outbound' }),
      onSettled: (n) => {
        metrics.messagesSent('smtp', 'delivered', n.delivered);
        metrics.messagesSent('smtp', 'deferred', n.deferred);
        metrics.messagesSent('smtp', 'failed', n.failed);
      },
    });
    outbound = worker;
    metrics.collectFrom({ queue: () => queue.depth() });
    postageWorker = startPostageWorker(postage, logger.child({ service: 'postage' }));
    network = startLnmpNetwork({
      db,
      logger: logger.child({ service: 'lnmp' }),
      resolver,
      rng: systemRng,
      ownRelays,
      hostname: config.hostname,
      relayKey: gatewayIdentity.privateKey,
      inbound: { messages, postage },
      deliverSystemMail: (userId, raw) => deliverSystemMail({ messages, gateway: gatewayIdentity, rng: systemRng }, userId, raw),
    });
    const submission = new SubmissionService({ db, accounts, inbound, contacts, queue, onQueued: () => worker.kick(), lnmp: network.outbound });
    jmapSubmission.services = { identities: new IdentityService(db, { rng: systemRng, accounts, notifier }), submissions: new EmailSubmissionService(db, { rng: systemRng, submission, notifier }), vacation };

    const tls = await loadTlsCredentials(config);
    if (tls.source === 'generated') logger.info('self-signed certificate generated', { name: config.hostname });
    const smtpLog = logger.child({ service: 'smtp' });
    const mx = await startMxServer({
      host: config.listenHost,
      port: config.ports.smtp,
      hostname: config.hostname,
      tls,
      accounts,
      inbound,
      resolver,
      logger: smtpLog,
      rng: systemRng,
      observe: (timing) => {
        metrics.messageReceived('mx');
        options.observeMx?.(timing);
      },
      onConnection: () => metrics.connectionOpened('smtp'),
    });
    smtp.push(mx);
    logger.info('listening', { service: 'smtp', host: config.listenHost, port: mx.port });
    const submissionPorts: number[] = [];
    for (const [service, port] of [['submission', config.ports.submission], ['submissions', config.ports.submissions]] as const) {
      if (port === undefined) continue;
      const listener = await startSubmissionServer({
        host: config.listenHost,
        port,
        implicitTls: service === 'submissions',
        hostname: config.hostname,
        tls,
        accounts,
        throttle: countingFailures(throttle, () => metrics.authFailed('submission')),
        submission,
        logger: logger.child({ service }),
        rng: systemRng,
        onConnection: () => metrics.connectionOpened('submission'),
        onAccepted: () => metrics.messageReceived('submission'),
      });
      smtp.push(listener);
      submissionPorts.push(listener.port);
      logger.info('listening', { service, host: config.listenHost, port: listener.port });
    }

    const imapPorts: number[] = [];
    for (const [service, port] of [['imap', config.ports.imap], ['imaps', config.ports.imaps]] as const) {
      const listener = await startImapServer({
        host: config.listenHost,
        port,
        implicitTls: service === 'imaps',
        hostname: config.hostname,
        tls,
        accounts,
        throttle: countingFailures(throttle, () => metrics.authFailed('imap')),
        mailboxes,
        messages,
        notifier,
        logger: logger.child({ service }),
        allowPlainLoginOnLoopback: config.mode === 'development',
        onConnection: () => metrics.connectionOpened('imap'),
      });
      // Closed with the SMTP listeners: before the outbound worker, the notifier and storage.
      smtp.push(listener);
      imapPorts.push(listener.port);
      logger.info('listening', { service, host: config.listenHost, port: listener.port });
    }

    const host = config.listenHost;
    board.running({
      listeners: [
        { service: 'http', host, port: httpPort },
        { service: 'relay', host, port: relay.port },
        { service: 'smtp', host, port: mx.port },
        ...submissionPorts.map((port, i) => ({ service: i === 0 && config.ports.submission !== undefined ? 'submission' : 'submissions', host, port })),
        { service: 'imap', host, port: imapPorts[0]! },
        { service: 'imaps', host, port: imapPorts[1]! },
      ],
      queueDepth: () => queue.depth(),
    });

    let closing: Promise<void> | undefined;
    const smtpPort = mx.port;
    const adminSocket = admin?.path;
    const changes = notifier;
    return {
      httpPort,
      smtpPort,
      submissionPort: submissionPorts[0]!,
      submissionsPort: submissionPorts[1],
      imapPort: imapPorts[0]!,
      imapsPort: imapPorts[1]!,
      relayPort: relay.port,
      adminSocket,
      notifier: changes,
      async createDemoUser() {
        if ((await accounts.listUsers()).length > 0) return undefined;
        const address = `demo@${config.domain}`;
        const password = Buffer.from(systemRng(12)).toString('base64url');
        await accounts.createUser({ address, password });
        return { address, password };
      },
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** The Redis namespace of one deployment: derived from its database (the processes of a deployment share it). */
export function redisNamespace(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  return createHash('sha256').update(config.databaseUrl ?? config.dataDir).digest('hex').slice(0, 16);
}

/**
 * The embedded relay's public URL (what clients sign in AUTH, what identity documents name):
 * `relayUrl` if set; in production the gateway's hostname, not the listening address (often
 * 0.0.0.0); in development the relay's own default, the listening address and bound port.
 */
export function relayPublicUrl(config: Pick<Config, 'relayUrl' | 'mode' | 'hostname' | 'ports'>): { url?: string } {
  if (config.relayUrl !== undefined) return { url: config.relayUrl };
  if (config.mode === 'production' && config.ports.relay !== 0) return { url: `ws://${config.hostname}:${config.ports.relay}` };
  return {};
}

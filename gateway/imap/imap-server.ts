// The IMAP listener: IMAPS (implicit TLS, 993) or IMAP with STARTTLS (143), over the sealed
// mailbox. The protocol engine is wildduck's imap-core; each hook it calls is a file in this
// folder that translates one command into service calls. LOGIN needs TLS (LOGINDISABLED
// before STARTTLS) unless the listener is loopback-only and plain login was allowed for it.
import { isIP } from 'node:net';
import { VERSION } from '../version.js';
import { listenServer, type Listener } from '../listen.js';
import type { Logger } from '../log.js';
import type { TlsCredentials } from '../tls.js';
import { createContext, type ImapServices } from './context.js';
import { IMAPServer, routeEngineReports, type EngineLogger, type EngineSession } from './engine.js';
import { IMAP_CLOSE_TIMEOUT_MS, IMAP_IDLE_TIMEOUT_MS, IMAP_MAX_MESSAGE_BYTES, IMAP_SOCKET_TIMEOUT_MS } from './limits.js';
import { onConnect } from './line-limit.js';
import { onAppend } from './on-append.js';
import { onAuth, onClose } from './on-auth.js';
import { onCopy, onMove } from './on-copy.js';
import { onCreate } from './on-create.js';
import { onDelete } from './on-delete.js';
import { onExpunge } from './on-expunge.js';
import { onFetch } from './on-fetch.js';
import { onList, onLsub } from './on-list.js';
import { onOpen } from './on-open.js';
import { onGetQuota, onGetQuotaRoot } from './on-quota.js';
import { onRename } from './on-rename.js';
import { onSearch } from './on-search.js';
import { onStatus } from './on-status.js';
import { onStore } from './on-store.js';
import { onSubscribe, onUnsubscribe } from './on-subscribe.js';
import { createUpdates } from './updates.js';

export interface ImapServerOptions extends Omit<ImapServices, 'logger'> {
  readonly host: string;
  readonly port: number;
  /** IMAPS: TLS from the first byte (993) instead of STARTTLS (143). */
  readonly implicitTls?: boolean;
  readonly hostname: string;
  readonly tls: Pick<TlsCredentials, 'cert' | 'key'>;
  readonly logger: Logger;
  /**
   * Lets LOGIN and AUTHENTICATE work without TLS, for development, and only when the
   * listener binds a loopback address (no other host can reach it). STARTTLS stays offered.
   */
  readonly allowPlainLoginOnLoopback?: boolean;
  /** Called for each connection the engine accepts; returns what to call when it closes (metrics). */
  readonly onConnection?: () => () => void;
}

/** `close()` stops accepting, lets sessions finish for IMAP_CLOSE_TIMEOUT_MS, then ends them with BYE. */
export type ImapListener = Listener;

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export async function startImapServer(opts: ImapServerOptions): Promise<ImapListener> {
  const service = opts.implicitTls ? 'imaps' : 'imap';
  const log = opts.logger.child({ service });
  const ctx = createContext({ ...opts, logger: log });
  const open = new Map<string, () => void>();
  const closeHook = onClose(ctx);
  routeEngineReports((report) => log.debug('protocol error', { error: report._error, session: report._sess }));
  const server = new IMAPServer({
    // Without it a reply written in several pieces (SELECT's untagged lines, then the tagged
    // OK) waits for the client's delayed ACK: ~40 ms added to most commands.
    noDelay: true,
    secure: opts.implicitTls ?? false,
    key: opts.tls.key,
    cert: opts.tls.cert,
    // One certificate for every name: answering without a context makes the engine use it.
    // Without this option an IMAPS ClientHello with SNI (every real client) ends the handshake.
    SNICallback: (_servername, callback) => callback(null),
    ignoreSTARTTLS: (opts.allowPlainLoginOnLoopback ?? false) && isLoopbackHost(opts.host),
    id: { name: 'LNMP Gateway', version: VERSION },
    maxMessage: IMAP_MAX_MESSAGE_BYTES,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    idleTimeout: IMAP_IDLE_TIMEOUT_MS,
    closeTimeout: IMAP_CLOSE_TIMEOUT_MS,
    // A STORE on a message another session expunged answers OK, as Dovecot does.
    allowStoreExpunged: true,
    skipFetchLog: true,
    // The engine otherwise picks a random quotation for the tagged OK of LOGOUT.
    logoutMessages: ['LOGOUT completed'],
    logger: engineLogger(log),
    onClose: (session: EngineSession, done: () => void) => {
      open.get(session.id)?.();
      open.delete(session.id);
      closeHook(session, done);
    },
  });
  const guardLines = onConnect(server);
  server.notifier = createUpdates(ctx);
  Object.assign(server, {
    onConnect: (session: EngineSession, done: (err?: Error) => void) => {
      if (opts.onConnection) open.set(session.id, opts.onConnection());
      guardLines(session, done);
    },
    onAuth: onAuth(ctx),
    onList: onList(ctx),
    onLsub: onLsub(ctx),
    onSubscribe: onSubscribe(ctx),
    onUnsubscribe: onUnsubscribe(ctx),
    onCreate: onCreate(ctx),
    onRename: onRename(ctx),
    onDelete: onDelete(ctx),
    onOpen: onOpen(ctx),
    onStatus: onStatus(ctx),
    onAppend: onAppend(ctx),
    onStore: onStore(ctx),
    onExpunge: onExpunge(ctx),
    onCopy: onCopy(ctx),
    onMove: onMove(ctx),
    onFetch: onFetch(ctx),
    onSearch: onSearch(ctx),
    onGetQuotaRoot: onGetQuotaRoot(ctx),
    onGetQuota: onGetQuota(ctx),
  });
  return listenServer(server, opts.host, opts.port, service, log);
}


/** The engine logs every connection and command at info; that is our debug. */
function engineLogger(log: Logger): EngineLogger {
  const line = (fields: unknown, message: unknown[]) => ({ ...(typeof fields === 'object' && fields !== null ? fields : {}), text: message.map(String).join(' ') });
  return {
    info: (fields, ...message) => log.debug('imap engine', line(fields, message)),
    debug: () => {},
    error: (fields, ...message) => log.warn('imap engine', line(fields, message)),
  };
}

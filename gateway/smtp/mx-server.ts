// The MX listener: mail from other servers over SMTP (port 25 in production). smtp-server
// speaks the protocol; the hooks in rcpt-to.ts and data.ts translate it into AccountService
// and MessageService calls. No AUTH here (that is the submission port), never a relay.
import { SMTPServer } from 'smtp-server';
import type { Rng } from '../../core/index.js';
import type { InboundMail } from '../../services/inbound-mail.js';
import type { Logger } from '../log.js';
import type { TlsCredentials } from '../tls.js';
import type { DNSResolver } from './authentication.js';
import type { MxContext } from './context.js';
import { onData } from './data.js';
import { listenServer, type Listener } from '../listen.js';
import { MX_CLOSE_TIMEOUT_MS, MX_MAX_CLIENTS, MX_MAX_COMMAND_LINE_BYTES, MX_MAX_MESSAGE_BYTES, MX_MAX_RECIPIENTS, MX_SOCKET_TIMEOUT_MS } from './limits.js';
import { onRcptTo } from './rcpt-to.js';
import { replies } from './replies.js';

export interface MxServerOptions {
  readonly host: string;
  /** 0 lets the OS pick; the bound port is on the result. */
  readonly port: number;
  readonly hostname: string;
  readonly tls: Pick<TlsCredentials, 'cert' | 'key'>;
  readonly accounts: MxContext['accounts'];
  readonly inbound: Pick<InboundMail, 'deliver'>;
  /** DNS for SPF, DKIM, DMARC and ARC. */
  readonly resolver: DNSResolver;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now?: () => Date;
  readonly maxMessageBytes?: number;
  readonly observe?: MxContext['observe'];
  /** Called for each connection smtp-server admits; returns what to call when it closes (metrics). */
  readonly onConnection?: () => () => void;
}

export type MxServer = Listener;

export async function startMxServer(opts: MxServerOptions): Promise<MxServer> {
  const ctx: MxContext = {
    accounts: opts.accounts,
    inbound: opts.inbound,
    hostname: opts.hostname,
    resolver: opts.resolver,
    logger: opts.logger,
    rng: opts.rng,
    now: opts.now ?? (() => new Date()),
    maxMessageBytes: opts.maxMessageBytes ?? MX_MAX_MESSAGE_BYTES,
    recipients: new WeakMap(),
    observe: opts.observe,
  };
  const open = new Map<string, () => void>();
  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'LNMP Gateway',
    secure: false,
    key: opts.tls.key,
    cert: opts.tls.cert,
    authOptional: true,
    disabledCommands: ['AUTH'],
    size: ctx.maxMessageBytes,
    maxClients: MX_MAX_CLIENTS,
    maxCommandLength: MX_MAX_COMMAND_LINE_BYTES,
    socketTimeout: MX_SOCKET_TIMEOUT_MS,
    closeTimeout: MX_CLOSE_TIMEOUT_MS,
    // Replies in replies.ts carry their own enhanced status codes (see there).
    hideENHANCEDSTATUSCODES: true,
    // A PTR name is unverified and costs a lookup per connection; Received names the IP.
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      if (opts.onConnection) open.set(session.id, opts.onConnection());
      callback();
    },
    onClose(session) {
      open.get(session.id)?.();
      open.delete(session.id);
    },
    onRcptTo(address, session, callback) {
      // The recipient limit is kept here, not with smtp-server's maxRecipients, whose 452 has
      // no enhanced code. As there, a repeated address replaces its entry and does not count.
      const accepted = session.envelope.rcptTo;
      const key = address.address.toLowerCase();
      if (accepted.length >= MX_MAX_RECIPIENTS && !accepted.some((r) => r.address.toLowerCase() === key)) {
        callback(replies.tooManyRecipients());
        return;
      }
      onRcptTo({ ...ctx, logger: ctx.logger.child({ session: session.id }) }, address).then(() => callback(), callback);
    },
    onData(stream, session, callback) {
      onData(ctx, stream, session).then((reply) => callback(null, reply), callback);
    },
  });
  return listenServer(server, opts.host, opts.port, 'smtp', opts.logger);
}

// The submission listener: mail from the gateway's own users' clients (port 587 with
// STARTTLS, optionally 465 with implicit TLS). AUTH PLAIN or LOGIN only over TLS, with
// failed logins throttled; the envelope sender and the From header must be the user's own
// addresses; then SubmissionService routes each recipient (local, LNMP relay path, legacy
// SMTP). The reply is 250 only once local copies are committed and the rest is queued.
import addressparser from 'nodemailer/lib/addressparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { toHex, type Rng } from '../../core/index.js';
import type { AccountService } from '../../services/account-service.js';
import { isServiceError } from '../../services/errors.js';
import type { LoginThrottle } from '../../services/login-throttle.js';
import { headerFields } from '../../converters/header-fields.js';
import type { RecipientRoute, SubmissionService } from '../../services/submission.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import type { Logger } from '../log.js';
import type { TlsCredentials } from '../tls.js';
import { hasBareLf } from './bare-newline.js';
import { MX_CLOSE_TIMEOUT_MS, MX_MAX_CLIENTS, MX_MAX_MESSAGE_BYTES, MX_MAX_RECIPIENTS, MX_SOCKET_TIMEOUT_MS, SUBMISSION_MAX_COMMAND_LINE_BYTES } from './limits.js';
import { listenServer, type Listener } from '../listen.js';
import { readMessage } from './read-message.js';
import { replies, replyForError, type SmtpReply } from './replies.js';
import { receivedHeader, rfc5322Date } from './trace-headers.js';

export interface SubmissionServerOptions {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (465) instead of STARTTLS (587). */
  readonly implicitTls?: boolean;
  readonly hostname: string;
  readonly tls: Pick<TlsCredentials, 'cert' | 'key'>;
  readonly accounts: Pick<AccountService, 'authenticate'>;
  readonly throttle: Pick<LoginThrottle, 'authenticate'>;
  readonly submission: Pick<SubmissionService, 'route' | 'checkSender' | 'submit'>;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now?: () => Date;
  readonly maxMessageBytes?: number;
  /** Called for each connection smtp-server admits; returns what to call when it closes (metrics). */
  readonly onConnection?: () => () => void;
  /** Called once per message accepted (metrics). */
  readonly onAccepted?: () => void;
}

interface Ctx extends SubmissionServerOptions {
  readonly now: () => Date;
  readonly maxMessageBytes: number;
  readonly sessions: WeakMap<SMTPServerSession, UnlockedAccount>;
  readonly routes: WeakMap<SMTPServerAddress, RecipientRoute>;
}

export async function startSubmissionServer(opts: SubmissionServerOptions): Promise<Listener> {
  const ctx: Ctx = { ...opts, now: opts.now ?? (() => new Date()), maxMessageBytes: opts.maxMessageBytes ?? MX_MAX_MESSAGE_BYTES, sessions: new WeakMap(), routes: new WeakMap() };
  const service = opts.implicitTls ? 'submissions' : 'submission';
  const log = opts.logger;
  const open = new Map<string, () => void>();
  const server = new SMTPServer({
    name: opts.hostname,
    banner: 'LNMP Gateway submission',
    secure: opts.implicitTls ?? false,
    key: opts.tls.key,
    cert: opts.tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    // Checked in onAuth so the refusal carries 538 5.7.11 (smtp-server's own has no enhanced code).
    allowInsecureAuth: true,
    size: ctx.maxMessageBytes,
    maxClients: MX_MAX_CLIENTS,
    maxCommandLength: SUBMISSION_MAX_COMMAND_LINE_BYTES,
    socketTimeout: MX_SOCKET_TIMEOUT_MS,
    closeTimeout: MX_CLOSE_TIMEOUT_MS,
    hideENHANCEDSTATUSCODES: true,
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      if (opts.onConnection) open.set(session.id, opts.onConnection());
      callback();
    },
    onAuth(auth, session, callback) {
      onAuth(ctx, auth, session).then((user) => callback(null, { user }), (err: unknown) => callback(err as Error));
    },
    onMailFrom(address, session, callback) {
      onMailFrom(ctx, address, session).then(() => callback(), (err: unknown) => callback(err as Error));
    },
    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= MX_MAX_RECIPIENTS) {
        callback(replies.tooManyRecipients());
        return;
      }
      onRcptTo(ctx, address, session).then(() => callback(), (err: unknown) => callback(err as Error));
    },
    onData(stream, session, callback) {
      onData(ctx, stream, session).then((reply) => callback(null, reply), (err: unknown) => callback(err as Error));
    },
    onClose(session) {
      ctx.sessions.get(session)?.lock();
      ctx.sessions.delete(session);
      open.get(session.id)?.();
      open.delete(session.id);
    },
  });
  const listener = await listenServer(server, opts.host, opts.port, service, log);
  return listener;
}

async function onAuth(ctx: Ctx, auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<string> {
  if (!session.secure) throw replies.encryptionRequired();
  try {
    const account = await ctx.throttle.authenticate(ctx.accounts, auth.username ?? '', auth.password ?? '', session.remoteAddress);
    ctx.sessions.set(session, account);
    ctx.logger.info('authenticated', { session: session.id, userId: account.userId });
    return String(account.userId);
  } catch (err) {
    if (isServiceError(err, 'auth_failed')) {
      ctx.logger.info('authentication failed', { session: session.id, ip: session.remoteAddress });
      throw replies.authFailed();
    }
    if (isServiceError(err, 'throttled')) {
      ctx.logger.warn('authentication throttled', { session: session.id, ip: session.remoteAddress });
      throw replies.authThrottled();
    }
    ctx.logger.warn('authentication unavailable', { session: session.id, err });
    throw replies.authUnavailable(err);
  }
}

function accountOf(ctx: Ctx, session: SMTPServerSession): UnlockedAccount {
  const account = ctx.sessions.get(session);
  // smtp-server refuses MAIL, RCPT and DATA before AUTH, so this is only a safety net.
  if (!account) throw replies.authFailed();
  return account;
}

async function onMailFrom(ctx: Ctx, address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
  const account = accountOf(ctx, session);
  if (address.address === '') throw replies.senderNotOwned();
  try {
    await ctx.submission.checkSender(account, address.address);
  } catch (err) {
    throw logged(ctx, 'mail from refused', err, session);
  }
}

async function onRcptTo(ctx: Ctx, address: SMTPServerAddress, session: SMTPServerSession): Promise<void> {
  try {
    ctx.routes.set(address, await ctx.submission.route(address.address));
  } catch (err) {
    if (isServiceError(err, 'invalid_address')) throw replies.badAddress();
    throw logged(ctx, 'rcpt refused', err, session);
  }
}

async function onData(ctx: Ctx, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const account = accountOf(ctx, session);
  const queueId = toHex(ctx.rng(6));
  const log = ctx.logger.child({ queueId, session: session.id, userId: account.userId });
  const original = await readMessage(stream, ctx.maxMessageBytes);
  if (original === undefined) throw replies.tooLarge();
  if (hasBareLf(original)) throw replies.bareLf();
  const from = fromAddresses(original);
  if (from.length === 0) throw replies.fromNotOwned();
  try {
    for (const address of from) await ctx.submission.checkSender(account, address);
  } catch (err) {
    if (isServiceError(err, 'sender_not_owned')) throw replies.fromNotOwned();
    throw logged(ctx, 'from check failed', err, session);
  }
  const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
  const recipients = session.envelope.rcptTo.map((r) => ctx.routes.get(r)).filter((r): r is RecipientRoute => r !== undefined);
  const date = ctx.now();
  const received = receivedHeader({
    helo: session.hostNameAppearsAs,
    remoteAddress: session.remoteAddress,
    hostname: ctx.hostname,
    protocol: session.secure ? 'ESMTPSA' : 'ESMTPA',
    queueId,
    recipients: recipients.map((r) => r.address),
    date,
  });
  const raw = Buffer.concat([Buffer.from(received + missingHeaders(original, date, queueId, ctx.hostname), 'utf8'), original]);
  try {
    const result = await ctx.submission.submit({ account, envelopeFrom: mailFrom, from: from[0]!, recipients, raw });
    log.info('submitted', { local: result.local.length, queued: result.queuedId !== undefined, bytes: raw.length });
    ctx.onAccepted?.();
    return `2.0.0 OK queued as ${queueId}`;
  } catch (err) {
    throw logged(ctx, 'not submitted', err, session);
  }
}

function logged(ctx: Ctx, what: string, err: unknown, session: SMTPServerSession): SmtpReply {
  const reply = replyForError(err);
  if (reply.temporary) ctx.logger.warn(what, { session: session.id, reply: reply.line, err: reply.cause ?? err });
  return reply;
}

/** Every address in the From header fields (there should be one field with one address). */
export function fromAddresses(raw: Uint8Array): string[] {
  return headerFields(raw)
    .filter((h) => h.name === 'from')
    .flatMap((h) => addressparser(h.value, { flatten: true }).map((a) => a.address))
    .filter((a) => a !== '');
}

/** Date and Message-ID when the client left them out (RFC 6409 §8.2, §8.3). */
function missingHeaders(raw: Uint8Array, date: Date, queueId: string, hostname: string): string {
  const names = new Set(headerFields(raw).map((h) => h.name));
  return (names.has('date') ? '' : `Date: ${rfc5322Date(date)}\r\n`) + (names.has('message-id') ? '' : `Message-ID: <${queueId}.${date.getTime()}@${hostname}>\r\n`);
}

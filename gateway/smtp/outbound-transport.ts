// Outbound SMTP (RFC 5321) for one message to one recipient domain: the domain's mail exchangers
// in preference order, each address in turn until a server has taken or refused every recipient,
// and one result per recipient. Retries, bounces and storage belong to the queue that calls this;
// the SMTP dialogue itself is nodemailer's SMTP connection.
import { isIP } from 'node:net';
import SMTPConnection, { type SMTPConnectionSendInfo, type SMTPEnvelope } from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { Rng } from '../../core/index.js';
import { systemRng } from '../../services/random.js';
import type { Logger } from '../log.js';
import type { DNSResolver } from './authentication.js';

/** The SMTP port of mail exchangers (RFC 5321 §4.5.4.2 is about relays; MX delivery is port 25). */
export const OUTBOUND_SMTP_PORT = 25;
/** Connecting, the greeting, EHLO and STARTTLS together, per address. */
export const OUTBOUND_CONNECT_TIMEOUT_MS = 60_000;
/** Silence from the server once the session is up; RFC 5321 §4.5.3.2.6 allows 10 minutes after DATA. */
export const OUTBOUND_SOCKET_TIMEOUT_MS = 10 * 60_000;
/** How long QUIT may take before the connection is closed without its reply. */
export const OUTBOUND_QUIT_TIMEOUT_MS = 5_000;
/**
 * Addresses tried per delivery, over all MX hosts: a domain listing many unreachable hosts
 * cannot hold one delivery for many connect timeouts. Recipients left over stay temporary.
 */
export const OUTBOUND_MAX_ADDRESSES = 5;

export interface OutboundMessage {
  /** The recipient domain whose mail exchangers are asked. */
  readonly domain: string;
  /** Envelope sender (MAIL FROM); '' for the null reverse path of a notification. */
  readonly from: string;
  /** Addresses at `domain`; duplicates are sent once and get the same result. */
  readonly recipients: readonly string[];
  /** The message as it goes out, with CRLF line endings (a bare CR or LF would become CRLF). */
  readonly raw: Buffer;
}

export interface OutboundOptions {
  /** MX, A and AAAA lookups. */
  readonly resolver: DNSResolver;
  /** Our name in EHLO. */
  readonly heloName: string;
  readonly logger: Logger;
  /** Default OUTBOUND_SMTP_PORT; tests use a loopback port. */
  readonly port?: number;
  readonly connectTimeoutMs?: number;
  readonly socketTimeoutMs?: number;
  /** Orders MX hosts of equal preference; default the system CSPRNG. */
  readonly rng?: Rng;
}

export type RecipientStatus = 'sent' | 'temporary' | 'permanent';

export interface RecipientResult {
  readonly recipient: string;
  readonly status: RecipientStatus;
  /**
   * The remote server's reply (continuation lines joined by spaces), or our own description of a
   * local, DNS or network problem in the same shape (`451 4.4.1 cannot connect to ...`), so the
   * DSN status and text can be read from either.
   */
  readonly reply: string;
  /** The MX host whose server sent `reply`; absent when `reply` is our own description. */
  readonly mx?: string;
}

type Outcome = Omit<RecipientResult, 'recipient'>;

interface Target {
  readonly host: string;
  readonly address: string;
}

interface Settings {
  readonly port: number;
  readonly heloName: string;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Delivers `raw` to every recipient at `domain`. Never throws for a delivery problem: every
 * recipient (in input order) gets `sent`, `temporary` (try again later) or `permanent`.
 */
export async function deliverToDomain(message: OutboundMessage, opts: OutboundOptions): Promise<RecipientResult[]> {
  const settings: Settings = {
    port: opts.port ?? OUTBOUND_SMTP_PORT,
    heloName: opts.heloName,
    connectTimeoutMs: opts.connectTimeoutMs ?? OUTBOUND_CONNECT_TIMEOUT_MS,
    socketTimeoutMs: opts.socketTimeoutMs ?? OUTBOUND_SOCKET_TIMEOUT_MS,
    logger: opts.logger,
  };
  const results = new Map<string, Outcome>();
  const unique = [...new Set(message.recipients)];
  for (const r of unique) if (!isEnvelopeAddress(r)) results.set(r, local('permanent', '501 5.1.3 bad recipient address syntax'));
  if (message.from !== '' && !isEnvelopeAddress(message.from)) {
    for (const r of unique) results.set(r, local('permanent', '501 5.1.7 bad sender address syntax'));
  }
  let pending = unique.filter((r) => !results.has(r));
  if (pending.length > 0) {
    const route = await findRoute(message.domain.toLowerCase().replace(/\.$/, ''), opts.resolver, opts.rng ?? systemRng);
    if ('failure' in route) {
      for (const r of pending) results.set(r, route.failure);
    } else {
      for (const target of route.targets) {
        const outcomes = await attempt(target, message, pending, settings);
        for (const [r, outcome] of outcomes) results.set(r, outcome);
        pending = pending.filter((r) => results.get(r)?.status === 'temporary');
        if (pending.length === 0) break;
      }
    }
  }
  return message.recipients.map((recipient) => ({ recipient, ...(results.get(recipient) as Outcome) }));
}

/** What MAIL FROM and RCPT TO can carry: no spaces, controls or angle brackets, one `@` before the domain. */
function isEnvelopeAddress(address: string): boolean {
  return /^[^\s<>\p{Cc}]+@[^\s<>@\p{Cc}]+$/u.test(address);
}

function local(status: RecipientStatus, reply: string): Outcome {
  return { status, reply };
}

// ---- DNS: where the domain's mail goes (RFC 5321 §5.1, RFC 7505) ----

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

type Lookup = { readonly answer: unknown[] } | { readonly missing: 'nxdomain' | 'nodata' } | { readonly failed: string };

async function lookup(resolver: DNSResolver, name: string, rrtype: 'MX' | 'A' | 'AAAA'): Promise<Lookup> {
  try {
    const answer: unknown = await resolver(name, rrtype);
    if (!Array.isArray(answer)) return { failed: 'malformed answer' };
    return answer.length === 0 ? { missing: 'nodata' } : { answer };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND') return { missing: 'nxdomain' };
    if (code === 'ENODATA') return { missing: 'nodata' };
    return { failed: typeof code === 'string' ? code : 'lookup failed' };
  }
}

/**
 * MX hosts by preference. RFC 5321 §5.1 requires hosts of equal preference to be tried in random
 * order (to spread load), so ties are shuffled with `rng`; a fixed rng gives a fixed order.
 */
export function orderMx(records: readonly MxRecord[], rng: Rng): string[] {
  const bytes = rng(4 * records.length);
  const keyed = records.map((r, i) => ({ r, key: new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 * i) }));
  keyed.sort((a, b) => a.r.priority - b.r.priority || a.key - b.key);
  return [...new Set(keyed.map(({ r }) => r.exchange))];
}

function toMxRecords(answer: unknown[]): MxRecord[] | undefined {
  const records: MxRecord[] = [];
  for (const rr of answer) {
    const { exchange, priority } = (rr ?? {}) as { exchange?: unknown; priority?: unknown };
    if (typeof exchange !== 'string' || typeof priority !== 'number') return undefined;
    records.push({ exchange: exchange.toLowerCase().replace(/\.$/, ''), priority });
  }
  return records;
}

type Route = { readonly targets: Target[] } | { readonly failure: Outcome };

async function findRoute(domain: string, resolver: DNSResolver, rng: Rng): Promise<Route> {
  const mx = await lookup(resolver, domain, 'MX');
  if ('failed' in mx) return { failure: local('temporary', `451 4.4.3 DNS lookup of MX records for ${domain} failed: ${mx.failed}`) };
  if ('missing' in mx) return implicitRoute(domain, resolver);
  const records = toMxRecords(mx.answer);
  if (records === undefined) return { failure: local('temporary', `451 4.4.3 DNS lookup of MX records for ${domain} failed: malformed answer`) };
  // A null MX is the only record of its domain (RFC 7505 §3); a stray "." among others is skipped.
  if (records.length === 1 && records[0]?.exchange === '') {
    return { failure: local('permanent', `556 5.1.10 ${domain} does not accept mail (null MX)`) };
  }
  const targets: Target[] = [];
  let failedLookup: string | undefined;
  for (const host of orderMx(records, rng).filter((h) => h !== '')) {
    if (targets.length >= OUTBOUND_MAX_ADDRESSES) break;
    const found = await addressesOf(host, resolver);
    if ('failed' in found) failedLookup ??= `451 4.4.3 DNS lookup of address records for ${host} failed: ${found.failed}`;
    else targets.push(...found.addresses.map((address) => ({ host, address })));
  }
  if (targets.length > 0) return { targets: targets.slice(0, OUTBOUND_MAX_ADDRESSES) };
  if (failedLookup !== undefined) return { failure: local('temporary', failedLookup) };
  return { failure: local('permanent', `550 5.4.4 no MX host of ${domain} has an address record`) };
}

/** No MX records: the domain itself is the mail exchanger (RFC 5321 §5.1). */
async function implicitRoute(domain: string, resolver: DNSResolver): Promise<Route> {
  const found = await addressesOf(domain, resolver);
  if ('failed' in found) return { failure: local('temporary', `451 4.4.3 DNS lookup of address records for ${domain} failed: ${found.failed}`) };
  if (found.addresses.length > 0) return { targets: found.addresses.slice(0, OUTBOUND_MAX_ADDRESSES).map((address) => ({ host: domain, address })) };
  if (found.nxdomain) return { failure: local('permanent', `550 5.1.2 domain ${domain} does not exist`) };
  return { failure: local('permanent', `550 5.1.2 domain ${domain} has no MX or address records`) };
}

/**
 * A host's addresses, IPv4 before IPv6: a sender without IPv6 connectivity then loses no time,
 * and the IPv6 addresses still serve when the IPv4 ones fail. A failed lookup of one family
 * is ignored while the other has addresses.
 */
async function addressesOf(host: string, resolver: DNSResolver): Promise<{ addresses: string[]; nxdomain: boolean } | { failed: string }> {
  const [a, aaaa] = await Promise.all([lookup(resolver, host, 'A'), lookup(resolver, host, 'AAAA')]);
  const ips = (l: Lookup, family: 4 | 6) => ('answer' in l ? l.answer.filter((ip): ip is string => typeof ip === 'string' && isIP(ip) === family) : []);
  const addresses = [...ips(a, 4), ...ips(aaaa, 6)];
  if (addresses.length === 0) {
    if ('failed' in a) return { failed: a.failed };
    if ('failed' in aaaa) return { failed: aaaa.failed };
  }
  const nx = (l: Lookup) => 'missing' in l && l.missing === 'nxdomain';
  return { addresses, nxdomain: nx(a) && nx(aaaa) };
}

// ---- One SMTP session with one address ----

/** The reply on one line: continuation lines' texts joined by spaces after the first code. */
function oneLine(response: string): string {
  const lines = response.split(/\r?\n/).filter((l) => l.trim() !== '');
  const code = /^(\d{3})[ -]?/.exec(lines[0] ?? '')?.[1];
  if (code === undefined || !lines.every((l) => /^\d{3}(?:[ -]|$)/.test(l))) return lines.join(' ').trim();
  const text = lines.map((l) => l.slice(4).trim()).filter((t) => t !== '').join(' ');
  return text === '' ? code : `${code} ${text}`;
}

/** A server reply as an outcome: 2xx sent, 5xx permanent, anything else (4xx, unexpected) temporary. */
function remote(response: string, host: string): Outcome {
  const reply = oneLine(response);
  const status: RecipientStatus = reply.startsWith('2') ? 'sent' : reply.startsWith('5') ? 'permanent' : 'temporary';
  return { status, reply, mx: host };
}

/**
 * The outcome of an error from nodemailer: the server's reply when there is one (a 2xx or 3xx
 * that nodemailer did not expect is temporary), else our description of what went wrong.
 */
function failure(err: NodemailerError, conn: SMTPConnection, target: Target, port: number): Outcome {
  if (err.response) {
    const outcome = remote(err.response, target.host);
    return outcome.status === 'sent' ? { ...outcome, status: 'temporary' } : outcome;
  }
  const where = `${target.host}[${target.address}]:${port}`;
  const cause = err.originalCode ?? err.code ?? 'error';
  if (err.code === 'ETLS' || conn.upgrading === true) return local('temporary', `451 4.7.5 TLS handshake with ${where} failed: ${err.timeoutType === 'UPGRADE_TIMEOUT' ? 'timeout' : cause}`);
  if (err.timeoutType === 'CONNECT_TIMEOUT') return local('temporary', `451 4.4.1 connection to ${where} timed out`);
  if (conn.stage === 'init') return local('temporary', `451 4.4.1 cannot connect to ${where}: ${cause}`);
  if (err.timeoutType === 'GREETING_TIMEOUT') return local('temporary', `451 4.4.2 no greeting from ${where}`);
  if (err.timeoutType === 'SOCKET_TIMEOUT') return local('temporary', `451 4.4.2 ${where} stopped responding`);
  return local('temporary', `451 4.4.2 connection to ${where} lost: ${cause}`);
}

interface Extensions {
  readonly keywords: ReadonlySet<string>;
  /** SIZE limit (RFC 1870); 0 when none is announced. */
  readonly maxSize: number;
}

/** EHLO keywords from the last EHLO reply (after STARTTLS, the one over TLS). */
function parseEhlo(reply: string | false): Extensions {
  const lines = (reply || '').split(/\r?\n/).slice(1).map((l) => l.replace(/^\d{3}[ -]/, '').trim().split(/\s+/));
  const keywords = new Set(lines.map((words) => (words[0] ?? '').toUpperCase()));
  const size = lines.find((words) => words[0]?.toUpperCase() === 'SIZE')?.[1];
  return { keywords, maxSize: size !== undefined && /^\d+$/.test(size) ? Number(size) : 0 };
}

const nonAscii = (s: string): boolean => /[^\p{ASCII}]/u.test(s);

/**
 * One session with one address for the recipients still pending. Every pending recipient gets
 * an outcome; the temporary ones are tried again at the next address.
 */
async function attempt(target: Target, message: OutboundMessage, pending: readonly string[], settings: Settings): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const all = (outcome: Outcome, recipients: readonly string[] = pending) => {
    for (const r of recipients) outcomes.set(r, outcome);
  };
  const conn = new SMTPConnection({
    host: target.address,
    port: settings.port,
    name: settings.heloName,
    // SNI names the MX host; the certificate is not checked (opportunistic TLS, RFC 7435):
    // many MX certificates are self-signed or name another host, and unverified encryption
    // still beats clear text.
    ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    tls: { rejectUnauthorized: false },
    // A refused STARTTLS or failed handshake ends this attempt (temporary, next address)
    // rather than sending the message in clear after the server offered encryption.
    opportunisticTLS: false,
    connectionTimeout: settings.connectTimeoutMs,
    greetingTimeout: settings.connectTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
    logger: false,
  });
  const log = settings.logger.child({ domain: message.domain, mx: target.host, address: target.address });
  // Errors are also emitted as events; this listener keeps a late one from being thrown.
  const setupError = await new Promise<NodemailerError | undefined>((resolve) => {
    conn.on('error', resolve);
    conn.connect(resolve);
  });
  if (setupError !== undefined) {
    conn.close();
    // Whatever ended the session before MAIL FROM (even a 554 greeting) concerns this server
    // only: the next address may take the message.
    const outcome: Outcome = { ...failure(setupError, conn, target, settings.port), status: 'temporary' };
    log.info('outbound session failed', { reply: outcome.reply });
    all(outcome);
    return outcomes;
  }

  const ext = parseEhlo(conn.lastServerResponse);
  let recipients = [...pending];
  if (!ext.keywords.has('SMTPUTF8')) {
    // RFC 6531 §3.2: an address that needs SMTPUTF8 cannot be given to a server without it.
    if (nonAscii(message.from)) all(local('permanent', `553 5.6.7 ${target.host} does not support SMTPUTF8, which the sender address needs`));
    else all(local('permanent', `553 5.6.7 ${target.host} does not support SMTPUTF8, which this address needs`), recipients.filter(nonAscii));
    recipients = recipients.filter((r) => !outcomes.has(r));
  }
  if (ext.maxSize > 0 && message.raw.length > ext.maxSize) {
    all(local('permanent', `552 5.3.4 message size ${message.raw.length} exceeds the limit ${ext.maxSize} of ${target.host}`), recipients);
    recipients = [];
  }
  if (recipients.length > 0) {
    const envelope: SMTPEnvelope = {
      from: message.from,
      to: recipients,
      size: message.raw.length,
      // BODY=8BITMIME when the server offers it. Without it the bytes go unchanged: converting to
      // 7 bit would break DKIM signatures, and servers accept 8-bit data in practice.
      use8BitMime: message.raw.some((b) => b >= 0x80),
    };
    // nodemailer adds SMTPUTF8 (when offered) for a non-ASCII envelope address only; a message
    // whose headers alone carry UTF-8 goes without it (RFC 6531 §3.4 asks for it there too, but
    // nodemailer has no option for that) and with BODY=8BITMIME.
    const sent = await new Promise<{ err: NodemailerError | null; info?: SMTPConnectionSendInfo }>((resolve) =>
      conn.send(envelope, message.raw, (err, info) => resolve({ err, info })),
    );
    const decided = transactionOutcomes(sent, conn, target, settings.port, recipients);
    for (const [r, outcome] of decided) outcomes.set(r, outcome);
  }
  log.info('outbound session', {
    tls: conn.secure,
    sent: [...outcomes.values()].filter((o) => o.status === 'sent').length,
    temporary: [...outcomes.values()].filter((o) => o.status === 'temporary').length,
    permanent: [...outcomes.values()].filter((o) => o.status === 'permanent').length,
  });
  await endSession(conn);
  return outcomes;
}

/**
 * Per-recipient outcomes of one MAIL/RCPT/DATA transaction. A refused MAIL FROM decides every
 * recipient; otherwise each refused RCPT TO keeps its own reply and the others get the reply to
 * the message (or the reason the session ended).
 */
function transactionOutcomes(
  sent: { err: NodemailerError | null; info?: SMTPConnectionSendInfo | undefined },
  conn: SMTPConnection,
  target: Target,
  port: number,
  recipients: readonly string[],
): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  const { err, info } = sent;
  if (err?.command === 'MAIL FROM' && err.response) {
    for (const r of recipients) outcomes.set(r, remote(err.response, target.host));
    return outcomes;
  }
  for (const rejected of (err ? rcptRejections(err, conn) : info?.rejectedErrors) ?? []) {
    if (rejected.recipient !== undefined && rejected.response) outcomes.set(rejected.recipient, remote(rejected.response, target.host));
  }
  const rest: Outcome = err ? failure(err, conn, target, port) : remote(info?.response ?? '', target.host);
  for (const r of recipients) if (!outcomes.has(r)) outcomes.set(r, rest);
  return outcomes;
}

/**
 * The refused RCPT TOs of a failed transaction. When every recipient was refused they are on the
 * error; when DATA failed afterwards the connection keeps them only on its envelope, which the
 * typings do not declare (nodemailer is pinned; the DATA-failure test reads them).
 */
function rcptRejections(err: NodemailerError, conn: SMTPConnection): NodemailerError[] {
  if (err.rejectedErrors) return err.rejectedErrors;
  const envelope = (conn as unknown as { _envelope?: unknown })._envelope;
  const list = typeof envelope === 'object' && envelope !== null ? (envelope as { rejectedErrors?: unknown }).rejectedErrors : undefined;
  return Array.isArray(list) ? (list as NodemailerError[]) : [];
}

/** QUIT, and close without its reply after OUTBOUND_QUIT_TIMEOUT_MS. */
function endSession(conn: SMTPConnection): Promise<void> {
  if (conn.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => conn.close(), OUTBOUND_QUIT_TIMEOUT_MS);
    conn.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    conn.quit();
  });
}

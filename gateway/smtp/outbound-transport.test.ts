// Outbound delivery over real loopback sockets: smtp-server instances play the remote mail
// exchangers and an injected resolver points the test domains at them. Covers the bytes as
// received, STARTTLS, per-recipient replies, MX fallback, null MX, NXDOMAIN, the implicit MX,
// DNS failures, refused MAIL FROM and DATA, SMTPUTF8 and a failed TLS handshake.
import { createServer, type Server, type Socket } from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { DNSResolver } from './authentication.js';
import { deliverToDomain, orderMx, type OutboundMessage, type OutboundOptions } from './outbound-transport.js';

const logger = createLogger({ level: 'error', write: () => {} });

/** Lines that need dot-stuffing, a lone dot, UTF-8, CRLF throughout. */
const RAW = Buffer.from(
  'From: Alice <alice@sender.test>\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\n' +
    '.leading dot\r\n..two dots\r\n.\r\nnot the end\r\nGrüße\r\n',
  'utf8',
);
const ASCII_RAW = Buffer.from('From: alice@sender.test\r\nSubject: plain\r\n\r\nJust ASCII.\r\n');

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly data: Buffer;
  readonly secure: boolean;
  readonly bodyType: string | undefined;
  readonly smtpUtf8: boolean;
}

interface Remote {
  readonly port: number;
  readonly received: Received[];
}

/** A reply for a hook: smtp-server answers `${responseCode} ${message}`. */
function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

let tls: { key: string; cert: string };
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'mx.example.test' }], { keySize: 2048 });
  tls = { key: pems.private, cert: pems.cert };
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * A remote MX. Recipients whose local part is `unknown` get 550, `busy` get 451; `withTls`
 * offers STARTTLS with a self-signed certificate.
 */
async function startRemote(opts: { host?: string; port?: number; withTls?: boolean; server?: Partial<SMTPServerOptions>; dataReply?: Error } = {}): Promise<Remote> {
  const received: Received[] = [];
  const server = new SMTPServer({
    secure: false,
    ...(opts.withTls ? tls : { hideSTARTTLS: true }),
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideENHANCEDSTATUSCODES: true,
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const local = address.address.split('@')[0];
      if (local === 'unknown') return callback(smtpError(550, '5.1.1 no such user'));
      if (local === 'busy') return callback(smtpError(451, '4.2.1 mailbox busy, try later'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const { mailFrom, rcptTo, bodyType, smtpUtf8 } = session.envelope;
        received.push({
          from: mailFrom === false ? '(none)' : mailFrom.address,
          to: rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          secure: session.secure,
          bodyType,
          smtpUtf8: smtpUtf8 === true,
        });
        callback(opts.dataReply ?? null);
      });
    },
    ...opts.server,
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { port, received };
}

type Zone = Record<string, Partial<Record<'MX' | 'A' | 'AAAA', unknown[] | string>>>;

/** DNS from a table: a missing name is NXDOMAIN, a missing type NODATA, a string an error code. */
function resolverFor(zone: Zone): DNSResolver {
  return (name, rrtype) => {
    const node = zone[name];
    const fail = (code: string) => Promise.reject(Object.assign(new Error(`query${rrtype} ${code} ${name}`), { code }));
    if (node === undefined) return fail('ENOTFOUND');
    const answer = node[rrtype as 'MX' | 'A' | 'AAAA'];
    if (answer === undefined) return fail('ENODATA');
    if (typeof answer === 'string') return fail(answer);
    return Promise.resolve(answer as string[]);
  };
}

function deliver(message: Partial<OutboundMessage> & { recipients: string[] }, zone: Zone, port: number, extra: Partial<OutboundOptions> = {}) {
  return deliverToDomain(
    { domain: 'example.test', from: 'alice@sender.test', raw: RAW, ...message },
    { resolver: resolverFor(zone), heloName: 'gw.sender.test', port, logger, connectTimeoutMs: 5_000, ...extra },
  );
}

const oneMx: Zone = {
  'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
  'mx.example.test': { A: ['127.0.0.1'] },
};

describe('deliverToDomain', () => {
  it('delivers the bytes unchanged over STARTTLS, declaring 8BITMIME', async () => {
    const remote = await startRemote({ withTls: true });
    const results = await deliver({ recipients: ['bob@example.test', 'carol@example.test'] }, oneMx, remote.port);
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
      { recipient: 'carol@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
    ]);
    expect(remote.received).toHaveLength(1);
    const [got] = remote.received;
    // smtp-server removes the dot-stuffing, so what it hands on must be the original bytes.
    expect(got?.data.equals(RAW)).toBe(true);
    expect(got).toMatchObject({ from: 'alice@sender.test', to: ['bob@example.test', 'carol@example.test'], secure: true, bodyType: '8bitmime', smtpUtf8: false });
  });

  it('sends in clear when STARTTLS is not offered, with the null sender and no BODY for ASCII', async () => {
    const remote = await startRemote();
    const results = await deliver({ from: '', raw: ASCII_RAW, recipients: ['bob@example.test'] }, oneMx, remote.port);
    expect(results).toEqual([{ recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' }]);
    expect(remote.received[0]?.data.equals(ASCII_RAW)).toBe(true);
    expect(remote.received[0]).toMatchObject({ from: '', secure: false, bodyType: '7bit' });
  });

  it('gives each recipient its own RCPT reply: 250, 550 and 451', async () => {
    const remote = await startRemote({ withTls: true });
    const results = await deliver({ recipients: ['bob@example.test', 'unknown@example.test', 'busy@example.test'] }, oneMx, remote.port);
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
      { recipient: 'unknown@example.test', status: 'permanent', reply: '550 5.1.1 no such user', mx: 'mx.example.test' },
      { recipient: 'busy@example.test', status: 'temporary', reply: '451 4.2.1 mailbox busy, try later', mx: 'mx.example.test' },
    ]);
    expect(remote.received.map((r) => r.to)).toEqual([['bob@example.test']]);
  });

  it('reports every recipient when all RCPT TO are refused, and sends no data', async () => {
    const remote = await startRemote();
    const results = await deliver({ recipients: ['unknown@example.test', 'busy@example.test'] }, oneMx, remote.port);
    expect(results).toEqual([
      { recipient: 'unknown@example.test', status: 'permanent', reply: '550 5.1.1 no such user', mx: 'mx.example.test' },
      { recipient: 'busy@example.test', status: 'temporary', reply: '451 4.2.1 mailbox busy, try later', mx: 'mx.example.test' },
    ]);
    expect(remote.received).toEqual([]);
  });

  it('moves on to the next MX when the first refuses the connection', async () => {
    const remote = await startRemote();
    const zone: Zone = {
      'example.test': { MX: [{ exchange: 'mx2.example.test', priority: 20 }, { exchange: 'mx1.example.test', priority: 10 }] },
      // Nothing listens on 127.0.0.2 at the port of the working server.
      'mx1.example.test': { A: ['127.0.0.2'] },
      'mx2.example.test': { A: ['127.0.0.1'] },
    };
    const results = await deliver({ recipients: ['bob@example.test'] }, zone, remote.port);
    expect(results).toEqual([{ recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx2.example.test' }]);
    expect(remote.received).toHaveLength(1);
  });

  it('tries a recipient refused with 4xx again at the next MX', async () => {
    const second = await startRemote();
    // The first MX answers 451 to every recipient.
    const first = await startRemote({ host: '127.0.0.2', port: second.port, server: { onRcptTo: (_a, _s, cb) => cb(smtpError(451, '4.3.2 not now')) } });
    const zone: Zone = {
      'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }, { exchange: 'mx2.example.test', priority: 20 }] },
      'mx1.example.test': { A: ['127.0.0.2'] },
      'mx2.example.test': { A: ['127.0.0.1'] },
    };
    const results = await deliver({ recipients: ['bob@example.test', 'unknown@example.test'] }, zone, second.port);
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx2.example.test' },
      { recipient: 'unknown@example.test', status: 'permanent', reply: '550 5.1.1 no such user', mx: 'mx2.example.test' },
    ]);
    expect(first.received).toEqual([]);
    expect(second.received.map((r) => r.to)).toEqual([['bob@example.test']]);
  });

  it('is temporary with the last connection problem when no MX can be reached', async () => {
    const remote = await startRemote();
    const zone: Zone = { 'example.test': { MX: [{ exchange: 'mx1.example.test', priority: 10 }] }, 'mx1.example.test': { A: ['127.0.0.2'] } };
    const results = await deliver({ recipients: ['bob@example.test'] }, zone, remote.port);
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'temporary', reply: `451 4.4.1 cannot connect to mx1.example.test[127.0.0.2]:${remote.port}: ECONNREFUSED` },
    ]);
  });

  it('uses the domain itself when it has no MX records (implicit MX)', async () => {
    const remote = await startRemote();
    const zone: Zone = { 'example.test': { A: ['127.0.0.1'] } };
    const results = await deliver({ recipients: ['bob@example.test'] }, zone, remote.port);
    expect(results).toEqual([{ recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'example.test' }]);
    expect(remote.received).toHaveLength(1);
  });

  it('fails permanently for a null MX without connecting', async () => {
    const remote = await startRemote();
    const zone: Zone = { 'example.test': { MX: [{ exchange: '', priority: 0 }], A: ['127.0.0.1'] } };
    const results = await deliver({ recipients: ['bob@example.test', 'carol@example.test'] }, zone, remote.port);
    const reply = '556 5.1.10 example.test does not accept mail (null MX)';
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'permanent', reply },
      { recipient: 'carol@example.test', status: 'permanent', reply },
    ]);
    expect(remote.received).toEqual([]);
  });

  it('fails permanently for a domain that does not exist', async () => {
    const results = await deliver({ domain: 'nowhere.test', recipients: ['bob@nowhere.test'] }, {}, 1);
    expect(results).toEqual([{ recipient: 'bob@nowhere.test', status: 'permanent', reply: '550 5.1.2 domain nowhere.test does not exist' }]);
  });

  it('is temporary when the DNS lookup fails', async () => {
    const zone: Zone = { 'example.test': { MX: 'ESERVFAIL' } };
    expect(await deliver({ recipients: ['bob@example.test'] }, zone, 1)).toEqual([
      { recipient: 'bob@example.test', status: 'temporary', reply: '451 4.4.3 DNS lookup of MX records for example.test failed: ESERVFAIL' },
    ]);
    const timedOut: Zone = { 'example.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] }, 'mx.example.test': { A: 'ETIMEOUT', AAAA: 'ETIMEOUT' } };
    expect(await deliver({ recipients: ['bob@example.test'] }, timedOut, 1)).toEqual([
      { recipient: 'bob@example.test', status: 'temporary', reply: '451 4.4.3 DNS lookup of address records for mx.example.test failed: ETIMEOUT' },
    ]);
  });

  it('fails every recipient permanently when MAIL FROM is refused with 5xx', async () => {
    const remote = await startRemote({ server: { onMailFrom: (_a, _s, cb) => cb(smtpError(553, '5.7.1 sender not allowed')) } });
    const results = await deliver({ recipients: ['bob@example.test', 'carol@example.test'] }, oneMx, remote.port);
    const reply = '553 5.7.1 sender not allowed';
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'permanent', reply, mx: 'mx.example.test' },
      { recipient: 'carol@example.test', status: 'permanent', reply, mx: 'mx.example.test' },
    ]);
  });

  it('gives the reply to the data to accepted recipients, refused ones keep their RCPT reply', async () => {
    const remote = await startRemote({ dataReply: smtpError(554, '5.6.0 content rejected') });
    const results = await deliver({ recipients: ['bob@example.test', 'unknown@example.test', 'busy@example.test'] }, oneMx, remote.port);
    expect(results).toEqual([
      { recipient: 'bob@example.test', status: 'permanent', reply: '554 5.6.0 content rejected', mx: 'mx.example.test' },
      { recipient: 'unknown@example.test', status: 'permanent', reply: '550 5.1.1 no such user', mx: 'mx.example.test' },
      { recipient: 'busy@example.test', status: 'temporary', reply: '451 4.2.1 mailbox busy, try later', mx: 'mx.example.test' },
    ]);
  });

  it('declares SMTPUTF8 for a non-ASCII address, and refuses such an address to a server without it', async () => {
    const utf8 = await startRemote();
    expect(await deliver({ recipients: ['δοκιμή@example.test'] }, oneMx, utf8.port)).toEqual([
      { recipient: 'δοκιμή@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
    ]);
    expect(utf8.received[0]).toMatchObject({ to: ['δοκιμή@example.test'], smtpUtf8: true });

    const ascii = await startRemote({ server: { hideSMTPUTF8: true } });
    expect(await deliver({ recipients: ['bob@example.test', 'δοκιμή@example.test'] }, oneMx, ascii.port)).toEqual([
      { recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
      { recipient: 'δοκιμή@example.test', status: 'permanent', reply: '553 5.6.7 mx.example.test does not support SMTPUTF8, which this address needs' },
    ]);
    expect(ascii.received.map((r) => [r.to, r.smtpUtf8])).toEqual([[['bob@example.test'], false]]);
  });

  it('is temporary when the TLS handshake after STARTTLS fails', async () => {
    const fake = await startBrokenTls();
    const results = await deliver({ recipients: ['bob@example.test'] }, oneMx, fake.port);
    expect(results).toEqual([
      {
        recipient: 'bob@example.test',
        status: 'temporary',
        reply: `451 4.7.5 TLS handshake with mx.example.test[127.0.0.1]:${fake.port} failed: ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE`,
      },
    ]);
  });

  it('refuses addresses that MAIL FROM or RCPT TO cannot carry', async () => {
    const remote = await startRemote();
    expect(await deliver({ recipients: ['bob@example.test', 'b ob@example.test', '<x>@example.test'] }, oneMx, remote.port)).toEqual([
      { recipient: 'bob@example.test', status: 'sent', reply: '250 OK: message queued', mx: 'mx.example.test' },
      { recipient: 'b ob@example.test', status: 'permanent', reply: '501 5.1.3 bad recipient address syntax' },
      { recipient: '<x>@example.test', status: 'permanent', reply: '501 5.1.3 bad recipient address syntax' },
    ]);
    expect(await deliver({ from: 'a\r\nRCPT TO:<x@y>', recipients: ['bob@example.test'] }, oneMx, remote.port)).toEqual([
      { recipient: 'bob@example.test', status: 'permanent', reply: '501 5.1.7 bad sender address syntax' },
    ]);
    expect(remote.received).toHaveLength(1);
  });
});

describe('orderMx', () => {
  const records = [
    { exchange: 'b.example', priority: 10 },
    { exchange: 'c.example', priority: 5 },
    { exchange: 'a.example', priority: 10 },
  ];
  /** An rng whose 4-byte keys are the given numbers, in record order. */
  const keys = (...k: number[]) => () => new Uint8Array(k.flatMap((n) => [0, 0, 0, n]));

  it('sorts by preference and orders equal preferences by the random keys', () => {
    expect(orderMx(records, keys(1, 9, 2))).toEqual(['c.example', 'b.example', 'a.example']);
    expect(orderMx(records, keys(2, 9, 1))).toEqual(['c.example', 'a.example', 'b.example']);
  });
});

/** A server that offers STARTTLS and answers the TLS ClientHello with a handshake_failure alert. */
async function startBrokenTls(): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let tlsStarted = false;
    socket.write('220 broken.example.test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      if (tlsStarted) {
        socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]));
      } else if (/^EHLO /i.test(chunk.toString('latin1'))) {
        socket.write('250-broken.example.test\r\n250 STARTTLS\r\n');
      } else if (/^STARTTLS\r\n/i.test(chunk.toString('latin1'))) {
        tlsStarted = true;
        socket.write('220 go ahead\r\n');
      }
    });
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  servers.push({
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return { port };
}

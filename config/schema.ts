// The one zod schema for every gateway setting: shapes, defaults and the rules that tie
// settings together. Each field's error text is the "expected ..." part of the message an
// operator sees; config/load.ts adds which key, which source and the received value.
import { isIP } from 'node:net';
import * as z from 'zod';

export const MODES = ['development', 'production'] as const;
export const LIGHTNING_BACKENDS = ['dev', 'lnd'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const MAX_PORT = 65_535;

/** What a field expects, phrased to follow "expected" in an error line. */
export const EXPECTED = {
  mode: 'expected "development" or "production"',
  path: 'expected a non-empty path',
  postgresUrl: 'expected a postgres:// or postgresql:// URL',
  redisUrl: 'expected a redis:// or rediss:// URL',
  domain: 'expected a domain name such as example.test',
  host: 'expected a host name or IP address',
  port: `expected an integer 0-${MAX_PORT}`,
  backend: 'expected "dev" or "lnd"',
  hostPort: 'expected host:port',
  nonEmpty: 'expected a non-empty string',
  boolean: 'expected true or false',
  dnsServers: 'expected a list of DNS servers, each host or host:port',
  dnsServer: 'expected a DNS server as host or host:port',
  relays: 'expected a list of ws:// or wss:// URLs',
  relay: 'expected a ws:// or wss:// URL',
  logLevel: 'expected "debug", "info", "warn" or "error"',
  object: 'expected an object',
  secret: 'expected at least 32 characters',
  selector: 'expected a DKIM selector (letters, digits and hyphens)',
  hours: 'expected a whole number of hours, at least 1',
  concurrency: 'expected an integer 1-100',
  workers: 'expected an integer 1-64',
  sats: 'expected a whole number of satoshis, 0-100000000',
  positiveSats: 'expected a whole number of satoshis, 1-100000000',
  minutes: 'expected a whole number of minutes, 1-10080',
  unread: 'expected an integer 1-1000000',
  postageAction: 'expected "settle" or "cancel"',
  publicUrl: 'expected an http:// or https:// URL without a path, e.g. https://mail.example.com',
} as const;

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HOST_PORT_RE = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+)):(\d{1,5})$/i;

function isDomain(value: string): boolean {
  return DOMAIN_RE.test(value);
}

function isHost(value: string): boolean {
  return isIP(value) !== 0 || isDomain(value);
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= MAX_PORT;
}

/** The gateway's public web address: scheme, host and optional port, nothing after. */
function isPublicUrl(value: string): boolean {
  if (!hasProtocol(value, ['http:', 'https:'])) return false;
  const url = new URL(value);
  return (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && url.username === '' && !value.endsWith('/');
}

/** `host:port` or `[ipv6]:port`, as LND's gRPC socket is written. */
export function isHostPort(value: string): boolean {
  const m = HOST_PORT_RE.exec(value);
  if (!m) return false;
  const host = m[1] ?? m[2] ?? '';
  const port = m[3] ?? '';
  return (m[1] !== undefined ? isIP(host) === 6 : isHost(host)) && isPort(port);
}

/** A DNS server as node:dns `setServers` takes it: host, bare IPv6, host:port or [ipv6]:port. */
export function isDnsServer(value: string): boolean {
  return isHost(value) || isHostPort(value);
}

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

const port = (fallback: number) =>
  z
    .int({ error: EXPECTED.port })
    .min(0, { error: EXPECTED.port })
    .max(MAX_PORT, { error: EXPECTED.port })
    .default(fallback);

const text = (expected: string) => z.string({ error: expected }).min(1, { error: expected });

const matching = (expected: string, test: (value: string) => boolean) =>
  z.string({ error: expected }).refine(test, { error: expected });

const objectError = { error: EXPECTED.object };

// Each group is parsed from {} when absent (prefault, not default), so that its fields'
// own defaults apply.
const portsSchema = z
  .strictObject(
    {
      smtp: port(2525),
      submission: port(2587),
      imap: port(2143),
      imaps: port(2993),
      http: port(8080),
      relay: port(7138),
      submissions: z.int({ error: EXPECTED.port }).min(0, { error: EXPECTED.port }).max(MAX_PORT, { error: EXPECTED.port }).optional(),
    },
    objectError,
  )
  .prefault({});

const lndSchema = z
  .strictObject(
    {
      socket: matching(EXPECTED.hostPort, isHostPort).optional(),
      cert: text(EXPECTED.nonEmpty).optional(),
      macaroon: text(EXPECTED.nonEmpty).optional(),
    },
    objectError,
  )
  .prefault({});

const lightningSchema = z
  .strictObject(
    {
      backend: z.enum(LIGHTNING_BACKENDS, { error: EXPECTED.backend }).default('dev'),
      lnd: lndSchema,
      allowDevInProduction: z.boolean({ error: EXPECTED.boolean }).default(false),
    },
    objectError,
  )
  .prefault({});

const tlsSchema = z
  .strictObject({ cert: text(EXPECTED.path).optional(), key: text(EXPECTED.path).optional() }, objectError)
  .prefault({});

const dnsSchema = z
  .strictObject(
    { servers: z.array(matching(EXPECTED.dnsServer, isDnsServer), { error: EXPECTED.dnsServers }).default([]) },
    objectError,
  )
  .prefault({});

const outboundSchema = z
  .strictObject(
    {
      port: port(25),
      giveUpHours: z.int({ error: EXPECTED.hours }).min(1, { error: EXPECTED.hours }).default(120),
      perDomainConcurrency: z.int({ error: EXPECTED.concurrency }).min(1, { error: EXPECTED.concurrency }).max(100, { error: EXPECTED.concurrency }).default(5),
    },
    objectError,
  )
  .prefault({});

/** The most postage a price may ask: 1 BTC. */
export const MAX_POSTAGE_SATS = 100_000_000;
const sats = (fallback: number, min = 0) =>
  z.int({ error: min === 0 ? EXPECTED.sats : EXPECTED.positiveSats })
    .min(min, { error: min === 0 ? EXPECTED.sats : EXPECTED.positiveSats })
    .max(MAX_POSTAGE_SATS, { error: min === 0 ? EXPECTED.sats : EXPECTED.positiveSats })
    .default(fallback);
const minutes = (fallback: number) => z.int({ error: EXPECTED.minutes }).min(1, { error: EXPECTED.minutes }).max(10_080, { error: EXPECTED.minutes }).default(fallback);

/** The gateway's postage defaults (each user may set their own prices) and its timings. */
const postageSchema = z
  .strictObject(
    {
      strangerSats: sats(100),
      acquaintanceSats: sats(10),
      prioritySats: sats(1000, 1),
      surgeUnread: z.int({ error: EXPECTED.unread }).min(1, { error: EXPECTED.unread }).max(1_000_000, { error: EXPECTED.unread }).default(100),
      invoiceExpiryMinutes: minutes(1440),
      autoReplyWindowMinutes: minutes(1440),
      settleMarginMinutes: minutes(60),
      defaultAction: z.enum(['settle', 'cancel'], { error: EXPECTED.postageAction }).default('settle'),
    },
    objectError,
  )
  .prefault({});

const dkimSchema = z
  .strictObject({ selector: matching(EXPECTED.selector, (v) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(v)).default('lnmp1') }, objectError)
  .prefault({});

export const configSchema = z
  .strictObject(
    {
      mode: z.enum(MODES, { error: EXPECTED.mode }).default('development'),
      dataDir: text(EXPECTED.path).default('./data'),
      databaseUrl: matching(EXPECTED.postgresUrl, (v) => hasProtocol(v, ['postgres:', 'postgresql:'])).optional(),
      redisUrl: matching(EXPECTED.redisUrl, (v) => hasProtocol(v, ['redis:', 'rediss:'])).optional(),
      domain: matching(EXPECTED.domain, isDomain).default('example.test'),
      hostname: matching(EXPECTED.domain, isDomain).default('mail.example.test'),
      listenHost: matching(EXPECTED.host, isHost).default('127.0.0.1'),
      ports: portsSchema,
      lightning: lightningSchema,
      tls: tlsSchema,
      dns: dnsSchema,
      outbound: outboundSchema,
      dkim: dkimSchema,
      postage: postageSchema,
      publicUrl: matching(EXPECTED.publicUrl, isPublicUrl).optional(),
      workers: z.int({ error: EXPECTED.workers }).min(1, { error: EXPECTED.workers }).max(64, { error: EXPECTED.workers }).default(1),
      gatewaySecret: z.string({ error: EXPECTED.secret }).min(32, { error: EXPECTED.secret }).optional(),
      relays: z
        .array(matching(EXPECTED.relay, (v) => hasProtocol(v, ['ws:', 'wss:'])), { error: EXPECTED.relays })
        .default([]),
      relayUrl: matching(EXPECTED.relay, (v) => hasProtocol(v, ['ws:', 'wss:'])).optional(),
      logLevel: z.enum(LOG_LEVELS, { error: EXPECTED.logLevel }).default('info'),
    },
    objectError,
  )
  .superRefine((config, ctx) => {
    // Zod may run this after non-fatal field issues, so read fields defensively.
    const lightning = config.lightning as Partial<typeof config.lightning> | undefined;
    const lnd = lightning?.lnd;
    if (lightning?.backend === 'lnd') {
      if (lnd?.socket === undefined) {
        ctx.addIssue({ code: 'custom', path: ['lightning', 'lnd', 'socket'], message: 'required when lightning.backend is "lnd"' });
      }
      if (lnd?.macaroon === undefined) {
        ctx.addIssue({ code: 'custom', path: ['lightning', 'lnd', 'macaroon'], message: 'required when lightning.backend is "lnd"' });
      }
    }
    // The dev backend settles invoices without real money; running it on a public
    // server by accident would let anyone skip postage, so production must opt in.
    if (config.mode === 'production' && lightning?.backend === 'dev' && lightning.allowDevInProduction !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['lightning', 'allowDevInProduction'],
        message:
          'must be true to use lightning.backend "dev" in production mode (the dev backend fakes payments); or set lightning.backend to "lnd"',
      });
    }
    // Worker processes share one database and hear each other's changes through Redis; the
    // embedded database belongs to one process.
    if (typeof config.workers === 'number' && config.workers > 1) {
      if (config.databaseUrl === undefined) ctx.addIssue({ code: 'custom', path: ['workers'], message: 'more than 1 needs databaseUrl (DATABASE_URL): the embedded database serves one process' });
      if (config.redisUrl === undefined) ctx.addIssue({ code: 'custom', path: ['workers'], message: 'more than 1 needs redisUrl (REDIS_URL) so the workers hear each other\'s changes' });
    }
    const tls = config.tls as Partial<typeof config.tls> | undefined;
    if (tls?.cert !== undefined && tls.key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'key'], message: 'required when tls.cert is set' });
    }
    if (tls?.key !== undefined && tls.cert === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'cert'], message: 'required when tls.key is set' });
    }
  });

export type Config = z.output<typeof configSchema>;
export type Mode = Config['mode'];
export type LogLevel = Config['logLevel'];

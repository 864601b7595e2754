// The table of settings: for each one its key in the config file, its environment
// variable, what it means, whether it is secret and how its env text becomes a value.
// The env mapping, masking, `config check` output and README table all come from here.
import { getPath } from './key-path.js';
import { configSchema } from './schema.js';

/** How a secret is hidden: the whole value, or only the password inside a URL. */
export type SecretKind = 'none' | 'whole' | 'url-password';

/** How the text of an environment variable is turned into a value for the schema. */
export type EnvKind = 'string' | 'int' | 'boolean' | 'list';

export interface Setting {
  /** Dotted path in the config file and in Config, e.g. "ports.smtp". */
  readonly key: string;
  readonly env: string;
  readonly envKind: EnvKind;
  readonly description: string;
  /** For settings that may be unset or empty: what that means. */
  readonly unset?: string;
  readonly secret: SecretKind;
  /** Replaces the schema's "expected ..." text when the bad value came from the environment. */
  readonly envExpected?: string;
}

/** Names the config file; read by the loader itself, not a setting. */
export const CONFIG_FILE_ENV = 'LNMP_CONFIG';

export const SETTINGS: readonly Setting[] = [
  { key: 'mode', env: 'LNMP_MODE', envKind: 'string', secret: 'none', description: '`development` or `production`; production refuses unsafe shortcuts such as the dev Lightning backend' },
  { key: 'dataDir', env: 'LNMP_DATA_DIR', envKind: 'string', secret: 'none', description: 'directory for the embedded database and generated files' },
  { key: 'databaseUrl', env: 'DATABASE_URL', envKind: 'string', secret: 'url-password', unset: 'embedded PGlite in `dataDir`', description: 'PostgreSQL URL (`postgres://user:password@host:5432/db`); the password is masked in output' },
  { key: 'redisUrl', env: 'REDIS_URL', envKind: 'string', secret: 'url-password', unset: 'in-process notifier', description: 'Redis URL for cross-node notifications; the password is masked in output' },
  { key: 'domain', env: 'LNMP_DOMAIN', envKind: 'string', secret: 'none', description: 'mail domain the gateway serves (`example.test` is the demo domain)' },
  { key: 'hostname', env: 'LNMP_HOSTNAME', envKind: 'string', secret: 'none', description: "the gateway's own host name (MX target, SMTP greeting)" },
  { key: 'listenHost', env: 'LNMP_LISTEN_HOST', envKind: 'string', secret: 'none', description: 'address every listener binds to' },
  { key: 'ports.smtp', env: 'LNMP_SMTP_PORT', envKind: 'int', secret: 'none', description: 'SMTP port for mail from other servers (MX); `0` lets the OS pick' },
  { key: 'ports.submission', env: 'LNMP_SUBMISSION_PORT', envKind: 'int', secret: 'none', description: 'SMTP submission port for mail clients' },
  { key: 'ports.imap', env: 'LNMP_IMAP_PORT', envKind: 'int', secret: 'none', description: 'IMAP port (STARTTLS)' },
  { key: 'ports.imaps', env: 'LNMP_IMAPS_PORT', envKind: 'int', secret: 'none', description: 'IMAP port with implicit TLS' },
  { key: 'ports.http', env: 'LNMP_HTTP_PORT', envKind: 'int', secret: 'none', description: 'HTTP port: JMAP, the postage pay page, client autoconfig, MTA-STS, the gateway\'s identity document, `/healthz`, `/readyz`, `/metrics`' },
  { key: 'ports.submissions', env: 'LNMP_SUBMISSIONS_PORT', envKind: 'int', secret: 'none', unset: 'no implicit-TLS submission listener', description: 'SMTP submission port with implicit TLS (465 in production)' },
  { key: 'ports.relay', env: 'LNMP_RELAY_PORT', envKind: 'int', secret: 'none', description: 'WebSocket port of the embedded LNMP relay' },
  { key: 'lightning.backend', env: 'LNMP_LIGHTNING', envKind: 'string', secret: 'none', description: '`dev` (embedded, fake payments) or `lnd`' },
  { key: 'lightning.lnd.socket', env: 'LNMP_LND_SOCKET', envKind: 'string', secret: 'none', unset: 'required when the backend is `lnd`', description: "LND gRPC address as `host:port`" },
  { key: 'lightning.lnd.cert', env: 'LNMP_LND_CERT', envKind: 'string', secret: 'none', description: "LND's TLS certificate" },
  { key: 'lightning.lnd.macaroon', env: 'LNMP_LND_MACAROON', envKind: 'string', secret: 'whole', unset: 'required when the backend is `lnd`', description: 'LND macaroon; secret, always masked in output' },
  { key: 'lightning.allowDevInProduction', env: 'LNMP_ALLOW_DEV_LIGHTNING', envKind: 'boolean', secret: 'none', envExpected: 'expected true, false, 1 or 0', description: 'allow the dev Lightning backend in production mode' },
  { key: 'tls.cert', env: 'LNMP_TLS_CERT', envKind: 'string', secret: 'none', unset: 'a self-signed certificate for `hostname` is generated once into `<dataDir>/tls/`', description: 'path to the PEM certificate chain for SMTP, IMAP and HTTPS' },
  { key: 'tls.key', env: 'LNMP_TLS_KEY', envKind: 'string', secret: 'none', unset: 'a self-signed certificate for `hostname` is generated once into `<dataDir>/tls/`', description: 'path to the PEM private key matching `tls.cert`' },
  { key: 'dns.servers', env: 'LNMP_DNS_SERVERS', envKind: 'list', secret: 'none', unset: 'the system resolver', description: 'DNS servers for SPF/DKIM/DMARC and MX lookups' },
  { key: 'outbound.port', env: 'LNMP_OUTBOUND_PORT', envKind: 'int', secret: 'none', description: 'port of remote MX hosts for outgoing legacy mail (25; tests point it at a local server)' },
  { key: 'outbound.giveUpHours', env: 'LNMP_OUTBOUND_GIVE_UP_HOURS', envKind: 'int', secret: 'none', description: 'hours an undeliverable message is retried before it bounces to its sender' },
  { key: 'outbound.perDomainConcurrency', env: 'LNMP_OUTBOUND_DOMAIN_CONCURRENCY', envKind: 'int', secret: 'none', description: 'connections at once to one recipient domain' },
  { key: 'dkim.selector', env: 'LNMP_DKIM_SELECTOR', envKind: 'string', secret: 'none', description: 'DKIM selector of the keys the gateway signs outgoing mail with (a new selector creates new keys: rotation)' },
  { key: 'postage.strangerSats', env: 'LNMP_POSTAGE_STRANGER_SATS', envKind: 'int', secret: 'none', description: 'postage a stranger pays to reach the INBOX (a user may set their own)' },
  { key: 'postage.acquaintanceSats', env: 'LNMP_POSTAGE_ACQUAINTANCE_SATS', envKind: 'int', secret: 'none', description: 'postage for an acquaintance (a previous paid exchange); friends pay nothing' },
  { key: 'postage.prioritySats', env: 'LNMP_POSTAGE_PRIORITY_SATS', envKind: 'int', secret: 'none', description: 'postage at or above which a paid message is tagged `$Priority`' },
  { key: 'postage.surgeUnread', env: 'LNMP_POSTAGE_SURGE_UNREAD', envKind: 'int', secret: 'none', description: 'unread INBOX messages above which prices double (surge)' },
  { key: 'postage.invoiceExpiryMinutes', env: 'LNMP_POSTAGE_INVOICE_EXPIRY_MINUTES', envKind: 'int', secret: 'none', description: 'how long a postage invoice can be paid' },
  { key: 'postage.autoReplyWindowMinutes', env: 'LNMP_POSTAGE_AUTO_REPLY_WINDOW_MINUTES', envKind: 'int', secret: 'none', description: 'at most one postage auto-reply per sender and recipient in this window' },
  { key: 'postage.settleMarginMinutes', env: 'LNMP_POSTAGE_SETTLE_MARGIN_MINUTES', envKind: 'int', secret: 'none', description: 'the default action applies this long before the held payment would time out' },
  { key: 'postage.defaultAction', env: 'LNMP_POSTAGE_DEFAULT_ACTION', envKind: 'string', secret: 'none', description: '`settle` or `cancel`: what happens to held postage the recipient has not acted on by the deadline' },
  { key: 'publicUrl', env: 'LNMP_PUBLIC_URL', envKind: 'string', secret: 'none', unset: '`https://<hostname>` in production, the HTTP listener in development', description: 'public web address of the gateway (pay page links in postage auto-replies)' },
  { key: 'workers', env: 'LNMP_WORKERS', envKind: 'int', secret: 'none', description: 'gateway processes sharing the listening ports, one per core (node:cluster); more than 1 needs `DATABASE_URL` and `REDIS_URL`' },
  { key: 'gatewaySecret', env: 'LNMP_GATEWAY_SECRET', envKind: 'string', secret: 'whole', unset: 'generated once into `<dataDir>/gateway.secret`', description: "protects the gateway's own keys (its LNMP identity, DKIM keys, the outbound queue) and keys contact lookups; every process of one deployment needs the same value; secret" },
  { key: 'relays', env: 'LNMP_RELAYS', envKind: 'list', secret: 'none', unset: 'the embedded relay', description: 'LNMP relays to use' },
  { key: 'relayUrl', env: 'LNMP_RELAY_URL', envKind: 'string', secret: 'none', unset: '`ws://<hostname>:<ports.relay>` in production, `ws://<listenHost>:<ports.relay>` in development', description: 'public address of the embedded relay: what clients connect to and sign in AUTH, and what identity documents name when `relays` is empty (e.g. `wss://relay.example.com` behind a TLS proxy)' },
  { key: 'logLevel', env: 'LNMP_LOG_LEVEL', envKind: 'string', secret: 'none', description: '`debug`, `info`, `warn` or `error`' },
];

/** Environment variable name → setting. */
export const ENV_SETTINGS: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.env, s]));

/** Setting key → setting. */
export const KEY_SETTINGS: ReadonlyMap<string, Setting> = new Map(SETTINGS.map((s) => [s.key, s]));

/**
 * The setting that owns an issue path: the longest table key that is a prefix of it, so
 * `relays.2` belongs to `relays`. Undefined for group paths such as `ports`.
 */
export function settingForPath(path: readonly (string | number)[]): Setting | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = KEY_SETTINGS.get(path.slice(0, n).join('.'));
    if (found) return found;
  }
  return undefined;
}

/**
 * Turns env text into the value the schema checks. Text that does not convert is
 * returned unchanged so the schema rejects it and the error quotes what was received.
 */
export function fromEnv(setting: Setting, raw: string): unknown {
  switch (setting.envKind) {
    case 'string':
      return raw;
    case 'int':
      // Strictly decimal: Number() would also accept "0x1F", "1e3" and " 25".
      return /^\d+$/.test(raw) ? Number(raw) : raw;
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      return raw;
    }
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
  }
}

/** The effective defaults, taken from the schema so they are written down once. */
export function defaultConfig(): unknown {
  return configSchema.parse({});
}

function describeDefault(setting: Setting, defaults: unknown): string {
  const value = getPath(defaults, setting.key.split('.'));
  const blank = value === undefined ? 'unset' : Array.isArray(value) && value.length === 0 ? 'empty' : undefined;
  if (blank !== undefined) return setting.unset === undefined ? blank : `${blank} (${setting.unset})`;
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

/** The Markdown table of settings that README.md must contain verbatim. */
export function renderSettingsTable(): string {
  const defaults = defaultConfig();
  const rows = SETTINGS.map(
    (s) => `| \`${s.key}\` | \`${s.env}\` | ${describeDefault(s, defaults)} | ${s.description} |`,
  );
  return ['| Config key | Environment variable | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

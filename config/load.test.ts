// The loader: precedence of defaults, file and environment; every error form, with the
// exact line an operator sees; masking of secrets in values and in error messages.
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { loadConfig, maskSecrets } from './load.js';
import type { LoadOptions } from './load.js';

const CFG = '/etc/lnmp/cfg.json';

function files(contents: Record<string, string>): LoadOptions['readFile'] {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

function load(env: Record<string, string> = {}, file?: unknown, configPath?: string) {
  const readFile = files(file === undefined ? {} : { [CFG]: typeof file === 'string' ? file : JSON.stringify(file) });
  return loadConfig({ env, configPath: configPath ?? (file === undefined ? undefined : CFG), readFile });
}

/** The problem lines of the ConfigError that `fn` throws. */
function problems(fn: () => unknown): { code: string; lines: readonly string[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return { code: err.code, lines: err.problems };
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('gives a complete development config with nothing set', () => {
    const { config, sources, file } = load();
    expect(config).toEqual({
      mode: 'development',
      dataDir: './data',
      domain: 'example.test',
      hostname: 'mail.example.test',
      listenHost: '127.0.0.1',
      ports: { smtp: 2525, submission: 2587, imap: 2143, imaps: 2993, http: 8080, relay: 7138 },
      lightning: { backend: 'dev', lnd: {}, allowDevInProduction: false },
      tls: {},
      dns: { servers: [] },
      outbound: { port: 25, giveUpHours: 120, perDomainConcurrency: 5 },
      dkim: { selector: 'lnmp1' },
      postage: { strangerSats: 100, acquaintanceSats: 10, prioritySats: 1000, surgeUnread: 100, invoiceExpiryMinutes: 1440, autoReplyWindowMinutes: 1440, settleMarginMinutes: 60, defaultAction: 'settle' },
      workers: 1,
      relays: [],
      logLevel: 'info',
    });
    expect(config.gatewaySecret).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(file).toBeUndefined();
    expect(sources.get('ports.smtp')).toEqual({ kind: 'default' });
  });
});

describe('precedence', () => {
  it('file overrides defaults, environment overrides file', () => {
    const { config, sources } = load(
      { LNMP_SMTP_PORT: '2626', LNMP_DOMAIN: 'env.example' },
      { ports: { smtp: 25, imap: 143 }, domain: 'file.example', logLevel: 'debug' },
    );
    expect(config.ports.smtp).toBe(2626);
    expect(config.ports.imap).toBe(143);
    expect(config.ports.http).toBe(8080);
    expect(config.domain).toBe('env.example');
    expect(config.logLevel).toBe('debug');
    expect(sources.get('ports.smtp')).toEqual({ kind: 'env', name: 'LNMP_SMTP_PORT', raw: '2626' });
    expect(sources.get('ports.imap')).toEqual({ kind: 'file', path: CFG });
    expect(sources.get('ports.http')).toEqual({ kind: 'default' });
  });

  it('--config wins over LNMP_CONFIG', () => {
    const readFile = files({ '/a.json': '{"domain":"a.example"}', '/b.json': '{"domain":"b.example"}' });
    const viaEnv = loadConfig({ env: { LNMP_CONFIG: '/a.json' }, readFile });
    expect(viaEnv.config.domain).toBe('a.example');
    expect(viaEnv.file).toBe('/a.json');
    const viaArg = loadConfig({ env: { LNMP_CONFIG: '/a.json' }, configPath: '/b.json', readFile });
    expect(viaArg.config.domain).toBe('b.example');
  });

  it('reads DATABASE_URL and REDIS_URL without the LNMP_ prefix', () => {
    const { config } = load({ DATABASE_URL: 'postgres://u:p@db/lnmp', REDIS_URL: 'redis://cache:6379' });
    expect(config.databaseUrl).toBe('postgres://u:p@db/lnmp');
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  it('treats empty environment variables as unset', () => {
    const { config } = load({ LNMP_DOMAIN: '', DATABASE_URL: '', LNMP_CONFIG: '' }, { domain: 'file.example' });
    expect(config.domain).toBe('file.example');
    expect(config.databaseUrl).toBeUndefined();
  });

  it('ignores unknown LNMP_* variables', () => {
    expect(load({ LNMP_NOT_A_SETTING: 'x', LNMP_SMTP_PORTT: 'abc' }).config.ports.smtp).toBe(2525);
  });
});

describe('environment conversion', () => {
  it('parses booleans as true/false/1/0', () => {
    for (const [text, value] of [['true', true], ['1', true], ['FALSE', false], ['0', false]] as const) {
      expect(load({ LNMP_ALLOW_DEV_LIGHTNING: text }).config.lightning.allowDevInProduction).toBe(value);
    }
  });

  it('splits comma lists and trims items', () => {
    const { config } = load({ LNMP_DNS_SERVERS: '1.1.1.1, 127.0.0.1:5353,[::1]:53,,', LNMP_RELAYS: 'wss://r1.example, ws://127.0.0.1:7138' });
    expect(config.dns.servers).toEqual(['1.1.1.1', '127.0.0.1:5353', '[::1]:53']);
    expect(config.relays).toEqual(['wss://r1.example', 'ws://127.0.0.1:7138']);
  });

  it('accepts port 0 so the OS picks one', () => {
    expect(load({ LNMP_HTTP_PORT: '0' }).config.ports.http).toBe(0);
  });

  it.each(['abc', '25.0', '0x19', '1e3', ' 25', '-1', '65536'])('rejects port %j', (text) => {
    expect(problems(() => load({ LNMP_SMTP_PORT: text }))).toEqual({
      code: 'config_invalid',
      lines: [`LNMP_SMTP_PORT (ports.smtp): expected an integer 0-65535, got ${JSON.stringify(text)}`],
    });
  });

  it('rejects a bad boolean with the env spelling of what is expected', () => {
    expect(problems(() => load({ LNMP_ALLOW_DEV_LIGHTNING: 'yes' })).lines).toEqual([
      'LNMP_ALLOW_DEV_LIGHTNING (lightning.allowDevInProduction): expected true, false, 1 or 0, got "yes"',
    ]);
  });

  it('names the bad list item', () => {
    expect(problems(() => load({ LNMP_RELAYS: 'wss://ok.example,http://bad.example' })).lines).toEqual([
      'LNMP_RELAYS (relays): expected a ws:// or wss:// URL, got "http://bad.example"',
    ]);
  });

  it('rejects enum values', () => {
    expect(problems(() => load({ LNMP_MODE: 'prod', LNMP_LOG_LEVEL: 'verbose', LNMP_LIGHTNING: 'cln' })).lines).toEqual([
      'LNMP_MODE (mode): expected "development" or "production", got "prod"',
      'LNMP_LIGHTNING (lightning.backend): expected "dev" or "lnd", got "cln"',
      'LNMP_LOG_LEVEL (logLevel): expected "debug", "info", "warn" or "error", got "verbose"',
    ]);
  });

  it('rejects malformed hosts and URLs', () => {
    expect(
      problems(() =>
        load({
          LNMP_DOMAIN: 'not a domain',
          LNMP_LISTEN_HOST: 'bad host',
          DATABASE_URL: 'mysql://db/x',
          REDIS_URL: 'http://cache',
          LNMP_DNS_SERVERS: '1.1.1.1:99999',
        }),
      ).lines,
    ).toEqual([
      'DATABASE_URL (databaseUrl): expected a postgres:// or postgresql:// URL, got "mysql://db/x"',
      'REDIS_URL (redisUrl): expected a redis:// or rediss:// URL, got "http://cache"',
      'LNMP_DOMAIN (domain): expected a domain name such as example.test, got "not a domain"',
      'LNMP_LISTEN_HOST (listenHost): expected a host name or IP address, got "bad host"',
      'LNMP_DNS_SERVERS (dns.servers): expected a DNS server as host or host:port, got "1.1.1.1:99999"',
    ]);
  });

  it('rejects postage prices, times and actions out of range, and a public URL with a path', () => {
    expect(
      problems(() =>
        load({
          LNMP_POSTAGE_STRANGER_SATS: '-1',
          LNMP_POSTAGE_PRIORITY_SATS: '0',
          LNMP_POSTAGE_INVOICE_EXPIRY_MINUTES: '99999',
          LNMP_POSTAGE_DEFAULT_ACTION: 'keep',
          LNMP_PUBLIC_URL: 'https://mail.example.com/pay',
        }),
      ).lines,
    ).toEqual([
      'LNMP_POSTAGE_STRANGER_SATS (postage.strangerSats): expected a whole number of satoshis, 0-100000000, got "-1"',
      'LNMP_POSTAGE_PRIORITY_SATS (postage.prioritySats): expected a whole number of satoshis, 1-100000000, got "0"',
      'LNMP_POSTAGE_INVOICE_EXPIRY_MINUTES (postage.invoiceExpiryMinutes): expected a whole number of minutes, 1-10080, got "99999"',
      'LNMP_POSTAGE_DEFAULT_ACTION (postage.defaultAction): expected "settle" or "cancel", got "keep"',
      'LNMP_PUBLIC_URL (publicUrl): expected an http:// or https:// URL without a path, e.g. https://mail.example.com, got "https://mail.example.com/pay"',
    ]);
    expect(load({ LNMP_PUBLIC_URL: 'https://mail.example.com', LNMP_POSTAGE_STRANGER_SATS: '2100' }).config).toMatchObject({ publicUrl: 'https://mail.example.com', postage: { strangerSats: 2100 } });
  });

  it('takes a ws:// or wss:// relayUrl and refuses anything else', () => {
    expect(load({ LNMP_RELAY_URL: 'wss://relay.example.com' }).config.relayUrl).toBe('wss://relay.example.com');
    expect(problems(() => load({ LNMP_RELAY_URL: 'https://relay.example.com' })).lines).toEqual(['LNMP_RELAY_URL (relayUrl): expected a ws:// or wss:// URL, got "https://relay.example.com"']);
  });

  it('accepts IPv4 and IPv6 listen addresses', () => {
    expect(load({ LNMP_LISTEN_HOST: '::' }).config.listenHost).toBe('::');
    expect(load({ LNMP_LISTEN_HOST: '0.0.0.0' }).config.listenHost).toBe('0.0.0.0');
  });
});

describe('config file errors', () => {
  it('reports a missing file', () => {
    expect(problems(() => loadConfig({ env: {}, configPath: '/nope.json', readFile: files({}) }))).toEqual({
      code: 'config_file_unreadable',
      lines: ['cannot read config file /nope.json: no such file'],
    });
  });

  it('reports a file named by LNMP_CONFIG that cannot be read', () => {
    const readFile = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(problems(() => loadConfig({ env: { LNMP_CONFIG: '/secret.json' }, readFile }))).toEqual({
      code: 'config_file_unreadable',
      lines: ['cannot read config file /secret.json: permission denied'],
    });
  });

  it('reports invalid JSON by line and column', () => {
    expect(problems(() => load({}, '{\n  "domain": "a.example",\n}'))).toEqual({
      code: 'config_file_not_json',
      lines: [`config file ${CFG} is not valid JSON: Expected double-quoted property name (line 3, column 1)`],
    });
  });

  it('never quotes the file text in a JSON error, which may hold a secret', () => {
    const { code, lines } = problems(() => load({}, '{"lightning": {"lnd": {"macaroon": abcdef0201}}}'));
    expect(code).toBe('config_file_not_json');
    expect(lines.join('\n')).not.toContain('abcdef0201');
    expect(lines).toEqual([`config file ${CFG} is not valid JSON: Unexpected token 'a'`]);
  });

  it('requires a JSON object at the top level', () => {
    expect(problems(() => load({}, '[1,2]'))).toEqual({
      code: 'config_invalid',
      lines: [`config file ${CFG}: expected a JSON object, got [1,2]`],
    });
  });

  it('rejects unknown keys at any depth', () => {
    expect(problems(() => load({}, { fooBar: 1, ports: { smtp: 25, pop3: 110 } })).lines).toEqual([
      `unknown key "ports.pop3" in ${CFG}`,
      `unknown key "fooBar" in ${CFG}`,
    ]);
  });

  it('names the key, the file, what was expected and what was received', () => {
    expect(
      problems(() => load({}, { ports: { smtp: 'abc', imap: 1.5 }, mode: 'prod', lightning: { allowDevInProduction: 'yes' } })).lines,
    ).toEqual([
      `mode in ${CFG}: expected "development" or "production", got "prod"`,
      `ports.smtp in ${CFG}: expected an integer 0-65535, got "abc"`,
      `ports.imap in ${CFG}: expected an integer 0-65535, got 1.5`,
      `lightning.allowDevInProduction in ${CFG}: expected true or false, got "yes"`,
    ]);
  });

  it('rejects a group that is not an object', () => {
    expect(problems(() => load({}, { ports: 25 })).lines).toEqual([`ports in ${CFG}: expected an object, got 25`]);
  });

  it('keeps a bad group from the file even when the environment sets a key inside it', () => {
    expect(problems(() => load({ LNMP_SMTP_PORT: '25' }, { ports: 'x' })).lines).toEqual([
      `ports in ${CFG}: expected an object, got "x"`,
    ]);
  });

  it('names the list item in the file', () => {
    expect(problems(() => load({}, { relays: ['wss://ok.example', 'ftp://x'] })).lines).toEqual([
      `relays.1 in ${CFG}: expected a ws:// or wss:// URL, got "ftp://x"`,
    ]);
  });

  it('lets the environment replace a bad file value', () => {
    expect(load({ LNMP_SMTP_PORT: '25' }, { ports: { smtp: 'abc' } }).config.ports.smtp).toBe(25);
  });
});

describe('rules between settings', () => {
  it('lnd requires socket and macaroon', () => {
    expect(problems(() => load({ LNMP_LIGHTNING: 'lnd' })).lines).toEqual([
      'lightning.lnd.socket (LNMP_LND_SOCKET): required when lightning.backend is "lnd"',
      'lightning.lnd.macaroon (LNMP_LND_MACAROON): required when lightning.backend is "lnd"',
    ]);
    const ok = load({ LNMP_LIGHTNING: 'lnd', LNMP_LND_SOCKET: 'lnd.internal:10009', LNMP_LND_MACAROON: '0201ab' });
    expect(ok.config.lightning.lnd).toEqual({ socket: 'lnd.internal:10009', macaroon: '0201ab' });
  });

  it('rejects a malformed LND socket', () => {
    expect(problems(() => load({ LNMP_LND_SOCKET: 'lnd.internal' })).lines).toEqual([
      'LNMP_LND_SOCKET (lightning.lnd.socket): expected host:port, got "lnd.internal"',
    ]);
  });

  it('production with the dev backend requires an explicit opt-in', () => {
    const message =
      'must be true to use lightning.backend "dev" in production mode (the dev backend fakes payments); or set lightning.backend to "lnd"';
    expect(problems(() => load({ LNMP_MODE: 'production' })).lines).toEqual([
      `lightning.allowDevInProduction (LNMP_ALLOW_DEV_LIGHTNING): ${message}`,
    ]);
    expect(problems(() => load({ LNMP_MODE: 'production', LNMP_ALLOW_DEV_LIGHTNING: 'false' })).lines).toEqual([
      `LNMP_ALLOW_DEV_LIGHTNING (lightning.allowDevInProduction): ${message}, got "false"`,
    ]);
    expect(problems(() => load({}, { mode: 'production', lightning: { allowDevInProduction: false } })).lines).toEqual([
      `lightning.allowDevInProduction in ${CFG}: ${message}, got false`,
    ]);
    expect(load({ LNMP_MODE: 'production', LNMP_ALLOW_DEV_LIGHTNING: '1' }).config.mode).toBe('production');
  });

  it('tls cert and key come together', () => {
    expect(problems(() => load({ LNMP_TLS_CERT: '/tls/cert.pem' })).lines).toEqual([
      'tls.key (LNMP_TLS_KEY): required when tls.cert is set',
    ]);
    expect(problems(() => load({}, { tls: { key: '/tls/key.pem' } })).lines).toEqual([
      'tls.cert (LNMP_TLS_CERT): required when tls.key is set',
    ]);
  });
});

describe('secrets', () => {
  it('masks the macaroon and URL passwords, keeping the rest of each URL', () => {
    const { config } = load(
      {
        DATABASE_URL: 'postgres://gw:s3cret@db.internal:5432/lnmp?sslmode=require',
        REDIS_URL: 'redis://:hunter2@cache:6379/0',
        LNMP_LIGHTNING: 'lnd',
        LNMP_LND_SOCKET: '127.0.0.1:10009',
      },
      { lightning: { lnd: { macaroon: '0201036c6e64' } } },
    );
    const masked = maskSecrets(config);
    expect(masked.databaseUrl).toBe('postgres://gw:********@db.internal:5432/lnmp?sslmode=require');
    expect(masked.redisUrl).toBe('redis://:********@cache:6379/0');
    expect(masked.lightning.lnd.macaroon).toBe('********');
    expect(masked.lightning.lnd.socket).toBe('127.0.0.1:10009');
    expect(JSON.stringify(masked)).not.toMatch(/s3cret|hunter2|0201036c6e64/);
    // The original is untouched.
    expect(config.lightning.lnd.macaroon).toBe('0201036c6e64');
  });

  it('leaves URLs without a password and unset secrets alone', () => {
    const masked = maskSecrets(load({ DATABASE_URL: 'postgres://db/lnmp' }).config);
    expect(masked.databaseUrl).toBe('postgres://db/lnmp');
    expect(masked.redisUrl).toBeUndefined();
    expect(masked.lightning.lnd.macaroon).toBeUndefined();
  });

  it('masks secrets inside error messages too', () => {
    const { lines } = problems(() =>
      load({ DATABASE_URL: 'mysql://gw:s3cret@db/lnmp' }, { lightning: { lnd: { macaroon: 42 } } }),
    );
    expect(lines).toEqual([
      'DATABASE_URL (databaseUrl): expected a postgres:// or postgresql:// URL, got "mysql://gw:********@db/lnmp"',
      `lightning.lnd.macaroon in ${CFG}: expected a non-empty string, got "********"`,
    ]);
  });
});

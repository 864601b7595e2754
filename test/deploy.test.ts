// The deployment files, read as data (no Docker engine or systemd runs here): the compose
// file's services, dependencies and health checks, and that the environment it gives the
// gateway is a valid production configuration; the Dockerfile's stages, user, entry point
// and health check; the systemd unit's service settings.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CONFIG_FILE_ENV, SETTINGS } from '../config/settings.js';

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

const SETTING_ENVS = new Set(SETTINGS.map((s) => s.env));
const KNOWN_ENVS = new Set([...SETTING_ENVS, CONFIG_FILE_ENV]);
const CLI_SCRIPT = 'dist/gateway/cli/main.js';
const DATA_DIR = '/var/lib/lnmp-gateway';
/** The public ports of a deployment (deploy/README.md). */
const PUBLIC_PORTS = [25, 465, 587, 143, 993, 443, 7138];

function loadEnv(env: Record<string, string>): Config {
  return loadConfig({
    env,
    readFile: () => {
      throw new Error('no config file expected');
    },
  }).config;
}

/** Every LNMP_* name in a text, comments included: each must be a real setting. */
function lnmpNames(text: string): string[] {
  return [...new Set(text.match(/\bLNMP_[A-Z0-9_]+/g) ?? [])];
}

// ---- docker-compose.yml ----

interface ComposeService {
  build?: unknown;
  image?: string;
  restart?: string;
  profiles?: string[];
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string | string[] };
  ports?: string[];
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** What an operator sets before `docker compose up`; variables with a default take it. */
const SAMPLE_VARS: Readonly<Record<string, string>> = {
  LNMP_DOMAIN: 'example.org',
  LNMP_HOSTNAME: 'mail.example.org',
  LNMP_GATEWAY_SECRET: '4c4e4d50'.repeat(8),
  POSTGRES_PASSWORD: 'sample-password',
  LNMP_LND_MACAROON: '0201036c6e6402f801030a10',
};

const SUBSTITUTION_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, with SAMPLE_VARS as the shell. */
function substitute(text: string): string {
  return text.replace(SUBSTITUTION_RE, (_match, name: string, op: string | undefined, arg: string | undefined) => {
    const value = SAMPLE_VARS[name];
    if (value !== undefined && value !== '') return value;
    if (op === ':-' || op === '-') return arg ?? '';
    throw new Error(`\${${name}} has no default and no sample value`);
  });
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText) as ComposeFile;
const services = compose.services;
const gateway = services.gateway ?? {};

function gatewayEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(gateway.environment ?? {}).map(([k, v]) => [k, substitute(String(v ?? ''))]));
}

function healthTest(service: ComposeService | undefined): string {
  const test = service?.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

describe('docker-compose.yml', () => {
  it('has the gateway, postgres, redis and lnd services', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway', 'lnd', 'postgres', 'redis']);
    expect(gateway.build).toBe('.');
    expect(gateway.restart).toBe('unless-stopped');
    expect(services.postgres?.image).toBe('postgres:15');
    expect(services.redis?.image).toBe('redis:7');
  });

  it('starts the gateway after postgres and redis report healthy', () => {
    expect(gateway.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(healthTest(services.postgres)).toMatch(/\bpg_isready\b/);
    expect(healthTest(services.redis)).toMatch(/\bredis-cli\b.*\bping\b/);
  });

  it('runs lnd only under its profile, and nothing depends on it', () => {
    expect(services.lnd?.profiles).toEqual(['lnd']);
    for (const name of ['gateway', 'postgres', 'redis']) expect(services[name]?.profiles).toBeUndefined();
    for (const service of Object.values(services)) expect(Object.keys(service.depends_on ?? {})).not.toContain('lnd');
  });

  it('names only real settings', () => {
    for (const name of Object.keys(gateway.environment ?? {})) expect(SETTING_ENVS, name).toContain(name);
    for (const name of lnmpNames(composeText)) expect(KNOWN_ENVS, name).toContain(name);
  });

  it('needs only the documented variables: every ${...} has a sample value or a default', () => {
    for (const name of Object.keys(SAMPLE_VARS)) expect(composeText).toContain(`\${${name}`);
    expect(() => substitute(composeText)).not.toThrow();
  });

  it('gives the gateway a valid production configuration on postgres, redis and lnd', () => {
    const config = loadEnv(gatewayEnv());
    expect(config.mode).toBe('production');
    expect(config.lightning.backend).toBe('lnd');
    expect(config.lightning.lnd.socket).toBe('lnd:10009');
    expect(config.gatewaySecret).toBe(SAMPLE_VARS.LNMP_GATEWAY_SECRET);
    expect(config.dataDir).toBe(DATA_DIR);
    expect(config.listenHost).toBe('0.0.0.0');

    const db = new URL(config.databaseUrl ?? '');
    const pgEnv = services.postgres?.environment ?? {};
    expect(db.hostname).toBe('postgres');
    expect(db.port).toBe('5432');
    expect(db.username).toBe(pgEnv.POSTGRES_USER);
    expect(db.pathname).toBe(`/${String(pgEnv.POSTGRES_DB)}`);
    expect(db.password).toBe(substitute(String(pgEnv.POSTGRES_PASSWORD)));
    expect(new URL(config.redisUrl ?? '').hostname).toBe('redis');
  });

  it('would be refused in production with the dev Lightning backend or without a macaroon', () => {
    const { LNMP_LIGHTNING: _backend, ...dev } = gatewayEnv();
    expect(() => loadEnv(dev)).toThrow(ConfigError);
    expect(() => loadEnv({ ...gatewayEnv(), LNMP_LND_MACAROON: '' })).toThrow(ConfigError);
  });

  it('publishes the production ports on the ports the gateway listens on', () => {
    const config = loadEnv(gatewayEnv());
    const mapped = new Map(
      (gateway.ports ?? []).map((p) => {
        const [host, container] = p.split(':').map(Number);
        return [host, container] as const;
      }),
    );
    expect([...mapped.keys()].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([...PUBLIC_PORTS].sort((a, b) => a - b));
    expect(mapped.get(25)).toBe(config.ports.smtp);
    expect(mapped.get(465)).toBe(config.ports.submissions);
    expect(mapped.get(587)).toBe(config.ports.submission);
    expect(mapped.get(143)).toBe(config.ports.imap);
    expect(mapped.get(993)).toBe(config.ports.imaps);
    expect(mapped.get(443)).toBe(config.ports.http);
    expect(mapped.get(7138)).toBe(config.ports.relay);
  });

  it('keeps the gateway data dir and the database on named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const mounts = (service: ComposeService | undefined) => (service?.volumes ?? []).map((v) => v.split(':'));
    expect(mounts(gateway)).toContainEqual([expect.any(String), DATA_DIR]);
    expect(mounts(services.postgres)).toContainEqual([expect.any(String), '/var/lib/postgresql/data']);
    for (const name of ['gateway', 'postgres']) {
      for (const [source] of mounts(services[name])) expect(declared).toContain(source);
    }
  });
});

// ---- Dockerfile ----

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions in order, continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const m = /^(\S+)\s*(.*)$/.exec(line);
      return { op: (m?.[1] ?? '').toUpperCase(), args: (m?.[2] ?? '').replace(/\s+/g, ' ') };
    });
}

function stagesOf(instructions: readonly Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') stages.push([]);
    stages.at(-1)?.push(ins);
  }
  return stages;
}

function envOf(stage: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.filter((i) => i.op === 'ENV')) {
    for (const pair of ins.args.split(' ')) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

const dockerfileText = read('Dockerfile');
const stages = stagesOf(parseDockerfile(dockerfileText));
const runtime = stages.at(-1) ?? [];
const argsOf = (stage: readonly Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds in a node:20-bookworm-slim stage with the dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0] ?? [];
    expect(argsOf(build, 'FROM')).toEqual(['node:20-bookworm-slim AS build']);
    expect(argsOf(build, 'RUN')).toContainEqual(expect.stringMatching(/^npm ci\b/));
    expect(argsOf(build, 'RUN')).toContain('npm run build');
  });

  it('runs on production dependencies, dist/ and the migrations only', () => {
    expect(argsOf(runtime, 'FROM')[0]).toMatch(/^node:20-bookworm-slim\b/);
    expect(argsOf(runtime, 'RUN').join('\n')).toContain('npm ci --omit=dev --ignore-scripts');
    const workdir = argsOf(runtime, 'WORKDIR').at(-1) ?? '';
    const copies = argsOf(runtime, 'COPY');
    expect(copies).toContain(`--from=build ${workdir}/dist ./dist`);
    expect(copies).toContain('storage/migrations ./storage/migrations');
    // storage/migrate.ts: the compiled runner looks for ../../storage/migrations/ beside itself.
    expect(posix.resolve(workdir, 'dist/storage', '../../storage/migrations')).toBe(posix.join(workdir, 'storage/migrations'));
  });

  it('runs as a non-root user', () => {
    const user = argsOf(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts `lnmp-gateway start`', () => {
    expect(argsOf(runtime, 'ENTRYPOINT').map((a) => JSON.parse(a) as unknown)).toEqual([['node', CLI_SCRIPT]]);
    expect(argsOf(runtime, 'CMD').map((a) => JSON.parse(a) as unknown)).toEqual([['start']]);
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin['lnmp-gateway']).toBe(CLI_SCRIPT);
  });

  it('checks /healthz on the HTTP port with node', () => {
    const [check] = argsOf(runtime, 'HEALTHCHECK');
    expect(check).toMatch(/CMD \["node"/);
    expect(check).toContain('http://127.0.0.1:');
    expect(check).toContain('process.env.LNMP_HTTP_PORT');
    expect(check).toContain('/healthz');
  });

  it('keeps the data dir on a volume and exposes the ports it configures', () => {
    const env = envOf(runtime);
    for (const name of [...Object.keys(env).filter((k) => k.startsWith('LNMP_')), ...lnmpNames(dockerfileText)]) {
      expect(SETTING_ENVS, name).toContain(name);
    }
    const config = loadEnv(env);
    expect(config.dataDir).toBe(DATA_DIR);
    expect(argsOf(runtime, 'VOLUME').join(' ')).toContain(DATA_DIR);
    const exposed = argsOf(runtime, 'EXPOSE').join(' ').split(' ').map(Number);
    const { smtp, submission, submissions, imap, imaps, http, relay } = config.ports;
    expect(exposed.sort((a, b) => a - b)).toEqual([smtp, submission, submissions, imap, imaps, http, relay].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });
});

describe('.dockerignore', () => {
  it('keeps host builds, data and secrets out of the build context', () => {
    const entries = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const name of ['node_modules', 'dist', 'data', '.env', '.git']) expect(entries).toContain(name);
    for (const needed of ['storage', 'package-lock.json', 'package.json', '.npmrc']) expect(entries).not.toContain(needed);
  });
});

// ---- deploy/systemd/lnmp-gateway.service ----

/** Section → key → values in order (systemd keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`unexpected unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

describe('deploy/systemd/lnmp-gateway.service', () => {
  const unitText = read('deploy/systemd/lnmp-gateway.service');
  const unit = parseUnit(unitText);
  const service = unit.get('Service') ?? new Map<string, string[]>();
  const one = (key: string) => service.get(key)?.at(-1);

  it('runs `lnmp-gateway start` as its own user and restarts on failure', () => {
    expect(one('ExecStart')).toBe(`/usr/bin/node /opt/lnmp-gateway/${CLI_SCRIPT} start`);
    expect(one('User')).toBe('lnmp-gateway');
    expect(one('Restart')).toBe('on-failure');
    expect(one('EnvironmentFile')).toBe('/etc/lnmp-gateway/env');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('is hardened, with only the data dir writable and only the low-port capability', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('true');
    expect(one('PrivateTmp')).toBe('true');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('ReadWritePaths')).toBe(DATA_DIR);
    const env = Object.fromEntries((service.get('Environment') ?? []).map((e) => e.split('=', 2) as [string, string]));
    expect(env.LNMP_DATA_DIR).toBe(DATA_DIR);
    for (const name of lnmpNames(unitText)) expect(SETTING_ENVS, name).toContain(name);
  });
});

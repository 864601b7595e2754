// The CLI in-process with a fake environment: usage errors, exit codes, `config check`
// output in both forms, and `start` serving until it is told to stop.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestSchema } from '../../test/helpers/databases.js';
import { fakeIo, type FakeIo } from '../../test/helpers/fake-io.js';
import { VERSION } from '../version.js';
import { runCli } from './program.js';

describe('usage', () => {
  it('--help lists the commands on stdout and exits 0', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: lnmp-gateway /);
    expect(io.out()).toMatch(/^\s+start\b/m);
    expect(io.out()).toMatch(/^\s+config\b/m);
    expect(io.err()).toBe('');
  });

  it('--version prints the package version', async () => {
    const io = fakeIo();
    expect(await runCli(['--version'], io)).toBe(0);
    expect(io.out()).toBe(`${VERSION}\n`);
  });

  it.each([
    [['bogus'], "lnmp-gateway: unknown command 'bogus'\n"],
    [['strat'], "lnmp-gateway: unknown command 'strat' (Did you mean start?)\n"],
    [[], 'lnmp-gateway: missing command; see --help\n'],
    [['config'], 'lnmp-gateway: missing command; see --help\n'],
    [['start', '--bogus'], "lnmp-gateway: unknown option '--bogus'\n"],
    [['config', 'check', '--config'], "lnmp-gateway: option '-c, --config <file>' argument missing\n"],
  ])('%j is a usage error: one line, exit 2', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toBe(message);
    expect(io.out()).toBe('');
  });
});

describe('config check', () => {
  it('prints key = value lines with the source of non-default values', async () => {
    const io = fakeIo({ LNMP_SMTP_PORT: '25', LNMP_CONFIG: '/c.json' }, { '/c.json': '{"domain":"mail.example.org"}' });
    expect(await runCli(['config', 'check'], io)).toBe(0);
    const lines = io.out().split('\n');
    expect(lines).toContain('ports.smtp = 25  # from LNMP_SMTP_PORT');
    expect(lines).toContain('domain = mail.example.org  # from /c.json');
    expect(lines).toContain('ports.http = 8080');
    expect(lines).toContain('databaseUrl = (unset)  # embedded PGlite in dataDir');
    expect(lines).toContain('relays = (empty)  # the embedded relay');
  });

  it('masks secrets in text and JSON', async () => {
    const file = JSON.stringify({ lightning: { backend: 'lnd', lnd: { socket: 'lnd:10009', macaroon: '0201036c6e64' } } });
    for (const extra of [[], ['--json']]) {
      const io = fakeIo({ DATABASE_URL: 'postgres://gw:s3cret@db/lnmp' }, { '/c.json': file });
      expect(await runCli(['config', 'check', '--config', '/c.json', ...extra], io)).toBe(0);
      expect(io.out()).not.toMatch(/0201036c6e64|s3cret/);
      expect(io.out()).toContain('postgres://gw:********@db/lnmp');
    }
    const io = fakeIo({}, { '/c.json': file });
    await runCli(['config', 'check', '-c', '/c.json', '--json'], io);
    expect((JSON.parse(io.out()) as { lightning: { lnd: unknown } }).lightning.lnd).toEqual({ socket: 'lnd:10009', macaroon: '********' });
  });

  it('prints every problem, one line each, and exits 2', async () => {
    const io = fakeIo({ LNMP_SMTP_PORT: 'abc', LNMP_LOG_LEVEL: 'loud' });
    expect(await runCli(['config', 'check'], io)).toBe(2);
    expect(io.err()).toBe(
      'lnmp-gateway: LNMP_SMTP_PORT (ports.smtp): expected an integer 0-65535, got "abc"\n' +
        'lnmp-gateway: LNMP_LOG_LEVEL (logLevel): expected "debug", "info", "warn" or "error", got "loud"\n',
    );
    expect(io.out()).toBe('');
  });

  it('reports an unreadable config file with exit 2', async () => {
    const io = fakeIo();
    expect(await runCli(['config', 'check', '--config', '/missing.json'], io)).toBe(2);
    expect(io.err()).toBe('lnmp-gateway: cannot read config file /missing.json: no such file\n');
  });
});

describe('start', () => {
  it('serves until stopped, logging JSON lines', async () => {
    const schema = await createTestSchema();
    const dataDir = mkdtempSync(join(tmpdir(), 'lnmp-program-test-'));
    try {
      const io = fakeIo({ LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url });
      const running = runCli(['start'], io);
      const port = await waitForPort(io);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      io.stop('SIGINT');
      expect(await running).toBe(0);
      const entries = io.err().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; service?: string });
      expect(entries.map((e) => [e.msg, e.service])).toEqual([
        ['starting', undefined],
        ['listening', 'admin'],
        ['domain added', undefined],
        ['notifier ready', undefined],
        ['listening', 'relay'],
        ['listening', 'http'],
        ['gateway secret generated', undefined],
        ['gateway identity', undefined],
        ['lightning backend', 'lightning'],
        ['self-signed certificate generated', undefined],
        ['listening', 'smtp'],
        ['listening', 'submission'],
        ['listening', 'imap'],
        ['listening', 'imaps'],
        ['stopping', undefined],
        ['stopped', undefined],
      ]);
      // The generated secret is kept owner-only and never logged.
      const secretFile = join(dataDir, 'gateway.secret');
      expect(statSync(secretFile).mode & 0o777).toBe(0o600);
      expect(io.err()).not.toContain(readFileSync(secretFile, 'utf8').trim());
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await schema.dispose();
    }
  });

  it('exits 2 on invalid configuration without starting', async () => {
    const io = fakeIo({ LNMP_MODE: 'production' });
    expect(await runCli(['start'], io)).toBe(2);
    expect(io.err()).toMatch(/^lnmp-gateway: lightning\.allowDevInProduction \(LNMP_ALLOW_DEV_LIGHTNING\): must be true/);
    expect(io.err().split('\n')).toHaveLength(2);
  });
});

async function waitForPort(io: FakeIo): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    for (const line of io.err().split('\n')) {
      if (line.includes('"msg":"listening"') && line.includes('"service":"http"')) return (JSON.parse(line) as { port: number }).port;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no listening line in: ${io.err()}`);
}

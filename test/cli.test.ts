// The built lnmp-gateway command as a process: help, usage errors with exit 2 and one
// line on stderr, and `config check` output and errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess } from './helpers/cli-process.js';

let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'lnmp-cli-test-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data));
  return path;
}

describe('lnmp-gateway', () => {
  it('--help lists start and config and exits 0', async () => {
    const result = await runCliProcess(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: lnmp-gateway/);
    expect(result.stdout).toMatch(/^\s+start\b/m);
    expect(result.stdout).toMatch(/^\s+config\b/m);
    expect(result.stderr).toBe('');
  });

  it('an unknown command exits 2 with one line on stderr', async () => {
    const result = await runCliProcess(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("lnmp-gateway: unknown command 'frobnicate'\n");
    expect(result.stdout).toBe('');
  });

  it('an unknown option exits 2 with one line on stderr', async () => {
    const result = await runCliProcess(['config', 'check', '--frob']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("lnmp-gateway: unknown option '--frob'\n");
  });
});

describe('lnmp-gateway config check', () => {
  it('rejects LNMP_SMTP_PORT=abc with exit 2 and the exact message', async () => {
    const result = await runCliProcess(['config', 'check'], { LNMP_SMTP_PORT: 'abc' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('lnmp-gateway: LNMP_SMTP_PORT (ports.smtp): expected an integer 0-65535, got "abc"\n');
    expect(result.stdout).toBe('');
  });

  it('names the file and key for a bad or unknown key in the config file', async () => {
    const path = writeConfig('bad.json', { ports: { smtp: 70000 }, fooBar: true });
    const result = await runCliProcess(['config', 'check', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `lnmp-gateway: ports.smtp in ${path}: expected an integer 0-65535, got 70000\n` +
        `lnmp-gateway: unknown key "fooBar" in ${path}\n`,
    );
  });

  it('reports a config file that is not JSON', async () => {
    const path = writeConfig('broken.json', '{ "domain": ');
    const result = await runCliProcess(['config', 'check'], { LNMP_CONFIG: path });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`lnmp-gateway: config file ${path} is not valid JSON: Unexpected end of JSON input\n`);
  });

  it('masks the macaroon and URL passwords from a config file and the environment', async () => {
    const path = writeConfig('lnd.json', {
      mode: 'production',
      lightning: { backend: 'lnd', lnd: { socket: '127.0.0.1:10009', macaroon: '0201036c6e6402f801' } },
    });
    const env = { DATABASE_URL: 'postgres://gw:pg-s3cret@127.0.0.1:5432/lnmp', REDIS_URL: 'redis://:redis-s3cret@127.0.0.1:6379' };

    const text = await runCliProcess(['config', 'check', '--config', path], env);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/0201036c6e6402f801|pg-s3cret|redis-s3cret/);
    expect(text.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `lightning.lnd.macaroon = ********  # from ${path}`,
        'databaseUrl = postgres://gw:********@127.0.0.1:5432/lnmp  # from DATABASE_URL',
        'redisUrl = redis://:********@127.0.0.1:6379  # from REDIS_URL',
        `mode = production  # from ${path}`,
      ]),
    );

    const json = await runCliProcess(['config', 'check', '--config', path, '--json'], env);
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(/0201036c6e6402f801|pg-s3cret|redis-s3cret/);
    const config = JSON.parse(json.stdout) as { lightning: { lnd: { macaroon: string } }; databaseUrl: string };
    expect(config.lightning.lnd.macaroon).toBe('********');
    expect(config.databaseUrl).toBe('postgres://gw:********@127.0.0.1:5432/lnmp');
  });
});

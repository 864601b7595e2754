// `init` in-process: writes a config file that `start` accepts (domain, hostname, the paths of
// the self-signed certificate it generated), hosts the domain and creates the first user on
// the database the config points at (PostgreSQL here, through DATABASE_URL); never overwrites
// a config file.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createTestSchema, type TestSchema } from '../../../test/helpers/databases.js';
import { fakeIo, type FakeStdin } from '../../../test/helpers/fake-io.js';
import { loadTlsCredentials } from '../../tls.js';
import { runCli } from '../program.js';

let schema: TestSchema;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  schema = await createTestSchema();
  root = mkdtempSync(join(tmpdir(), 'lnmp-init-'));
  env = { DATABASE_URL: schema.url };
});

afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await schema.dispose();
});

async function run(argv: string[], stdin: FakeStdin = {}, files: Record<string, string> = {}) {
  const io = fakeIo(env, files, stdin);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('init', () => {
  const file = () => join(root, 'gw.json');
  const dataDir = () => join(root, 'data');

  it('writes the config, the data directory and certificate, hosts the domain and creates the user', { timeout: 60_000 }, async () => {
    const r = await run(['init', '--config', file(), '--data-dir', dataDir(), '--domain', 'Init.Example', '--user', 'admin@init.example', '--password-stdin', '--json'], { text: 'first password\n' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as Record<string, unknown>;
    const tls = { cert: join(dataDir(), 'tls', 'self-signed-cert.pem'), key: join(dataDir(), 'tls', 'self-signed-key.pem') };
    expect(out).toEqual({
      configFile: file(),
      dataDir: dataDir(),
      domain: 'init.example',
      hostname: 'mail.init.example',
      tls,
      user: { address: 'admin@init.example', lnmpAddress: expect.stringMatching(/^admin#\w+@init\.example$/), publicKey: expect.stringMatching(/^[0-9a-f]{64}$/), mnemonic: expect.stringMatching(/^(\w+ ){23}\w+$/) },
    });
    expect(JSON.parse(readFileSync(file(), 'utf8'))).toEqual({ dataDir: dataDir(), domain: 'init.example', hostname: 'mail.init.example', tls });
    expect(statSync(dataDir()).mode & 0o777).toBe(0o700);
    expect(statSync(tls.key).mode & 0o777).toBe(0o600);

    // What `start` will load: the file, with the certificate it names.
    const { config } = loadConfig({ env, configPath: file(), readFile: (p) => readFileSync(p, 'utf8') });
    expect((await loadTlsCredentials(config)).source).toBe('configured');
    const files = { [file()]: readFileSync(file(), 'utf8') };
    const users = await run(['user', 'list', '--json', '--config', file()], {}, files);
    expect(JSON.parse(users.out)).toEqual([expect.objectContaining({ address: 'admin@init.example' })]);
    const domains = await run(['domain', 'list', '--json', '--config', file()], {}, files);
    expect(JSON.parse(domains.out)).toContainEqual({ name: 'init.example' });
  });

  it('refuses to overwrite a config file, and a bad domain, in one line', async () => {
    expect(await run(['init', '--config', file()])).toEqual({ code: 1, out: '', err: `lnmp-gateway: ${file()} exists; init does not overwrite a config file\n` });
    const other = join(root, 'other.json');
    expect(await run(['init', '--config', other, '--domain', 'not a domain'])).toEqual({
      code: 2, out: '', err: `lnmp-gateway: domain in ${other}: expected a domain name such as example.test, got "not a domain"\n`,
    });
    expect(existsSync(other)).toBe(false);
  });
});

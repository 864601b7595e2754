// `user add` in-process against a PostgreSQL schema: the password from a terminal prompt
// (twice, no echo) or from stdin, importing a mnemonic, and the text and JSON output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromMnemonic } from '../../../core/index.js';
import { createTestSchema, type TestSchema } from '../../../test/helpers/databases.js';
import { fakeIo, type FakeStdin } from '../../../test/helpers/fake-io.js';
import { runCli } from '../program.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

let schema: TestSchema;
let env: Record<string, string>;

beforeAll(async () => {
  schema = await createTestSchema();
  env = { DATABASE_URL: schema.url };
  const io = fakeIo(env);
  expect(await runCli(['domain', 'add', 'prompt.test'], io)).toBe(0);
  expect(io.out()).toBe('added prompt.test\n');
});

afterAll(() => schema.dispose());

async function run(argv: string[], stdin: FakeStdin) {
  const io = fakeIo(env, {}, stdin);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err(), rawModes: io.rawModes };
}

describe('user add', () => {
  it('prompts twice on a terminal without echo and prints address, key and mnemonic', async () => {
    const r = await run(['user', 'add', 'tty@prompt.test'], { tty: true, text: 'password1\rpassword1\r' });
    expect(r.code).toBe(0);
    expect(r.err).toBe('Password: \nRepeat password: \n');
    expect(r.rawModes).toEqual([true, false, true, false]);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('address:      tty@prompt.test');
    expect(lines[1]).toMatch(/^lnmp address: tty#[0-9A-Za-z]+@prompt\.test$/);
    expect(lines[2]).toMatch(/^public key: {3}[0-9a-f]{64}$/);
    expect(lines[3]).toMatch(/^mnemonic: {5}(\w+ ){23}\w+$/);
    expect(lines[4]).toBe('# The mnemonic is shown only this once. It restores the identity: keep it offline and private.');
    expect(r.out).not.toContain('password1');
  });

  it('fails with exit 2 when the two passwords differ', async () => {
    const r = await run(['user', 'add', 'typo@prompt.test'], { tty: true, text: 'password1\rpassword2\r' });
    expect(r.code).toBe(2);
    expect(r.err).toBe('Password: \nRepeat password: \nlnmp-gateway: the passwords do not match\n');
  });

  it('imports a mnemonic from the line after the password and prints JSON without it', async () => {
    const r = await run(['user', 'add', 'imported@prompt.test', '--password-stdin', '--mnemonic-stdin', '--json'], { text: `password1\n${MNEMONIC}\n` });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as Record<string, string>;
    expect(Object.keys(out)).toEqual(['address', 'lnmpAddress', 'publicKey']);
    expect(out['publicKey']).toBe(identityFromMnemonic(MNEMONIC).publicKey);
  });

  it('prompts for the mnemonic on a terminal', async () => {
    const r = await run(['user', 'add', 'typed@prompt.test', '--password-stdin', '--mnemonic-stdin'], {
      tty: true,
      text: `password1\nlegal winner thank year wave sausage worth useful legal winner thank yellow\r`,
    });
    expect(r.err).toBe('Mnemonic: \n');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('mnemonic:');
  });

  it('rejects missing or invalid stdin input with exit 2', async () => {
    expect(await run(['user', 'add', 'x@prompt.test', '--password-stdin'], { text: '' })).toMatchObject({ code: 2, err: 'lnmp-gateway: no password on stdin\n' });
    expect(await run(['user', 'add', 'x@prompt.test', '--password-stdin', '--mnemonic-stdin'], { text: 'password1\n' })).toMatchObject({
      code: 2,
      err: 'lnmp-gateway: no mnemonic on stdin\n',
    });
    expect(await run(['user', 'add', 'x@prompt.test', '--password-stdin', '--mnemonic-stdin'], { text: 'password1\nnot a mnemonic\n' })).toMatchObject({
      code: 2,
      err: 'lnmp-gateway: not a valid mnemonic: unknown word, wrong word count or bad checksum\n',
    });
    expect(await run(['user', 'add', 'x@nowhere.test', '--password-stdin'], { text: 'password1\n' })).toMatchObject({
      code: 2,
      err: 'lnmp-gateway: nowhere.test is not hosted here\n',
    });
  });

  it('--help names the options and says passwords never come from arguments', async () => {
    const r = await run(['user', 'add', '--help'], {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: lnmp-gateway user add \[options\] <address>/);
    expect(r.out).toContain('--password-stdin');
    expect(r.out).toContain('--mnemonic-stdin');
    expect(r.out).not.toMatch(/--password[ =<]/);
  });
});

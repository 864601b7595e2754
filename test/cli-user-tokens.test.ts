// user passwd | delete | export-key | import-key and token create | list | revoke, in-process,
// on PostgreSQL (DATABASE_URL) and on embedded PGlite (each command opening the data directory
// itself): output, exact one-line errors and exit codes, and what is left in the database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFromMnemonic } from '../core/index.js';
import { runCli } from '../gateway/cli/program.js';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPglite, openPostgres, type Db } from '../storage/db.js';
import { createTestSchema, seedPgliteDataDir, type Backend } from './helpers/databases.js';
import { fakeIo, type FakeStdin } from './helpers/fake-io.js';

const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
/** PGlite commands open the data directory each time (~1-3 s, more under load). */
const TIMEOUT_MS = 120_000;

describe.each<Backend>(['postgres', 'pglite'])('account and token commands on %s', (backend) => {
  const domain = `${backend}.tokens.test`;
  // On PGlite every command opens the data directory (seconds each): there the refusals that
  // do not depend on the backend run once, on PostgreSQL, and only the stored effects are checked.
  const full = backend === 'postgres';
  let env: Record<string, string>;
  let root: string;
  let dispose: () => Promise<void> = async () => {};
  /** The database as the commands see it, opened between commands (PGlite allows one opener). */
  let withDb: <T>(work: (db: Db) => Promise<T>) => Promise<T>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lnmp-cli-tokens-'));
    if (backend === 'postgres') {
      const schema = await createTestSchema();
      env = { DATABASE_URL: schema.url, LNMP_DATA_DIR: join(root, 'data') };
      dispose = () => schema.dispose();
      withDb = async (work) => {
        const db = await openPostgres(schema.url, { poolSize: 1 });
        try {
          return await work(db);
        } finally {
          await db.close();
        }
      };
    } else {
      env = { LNMP_DATA_DIR: join(root, 'data') };
      await seedPgliteDataDir(env['LNMP_DATA_DIR']!);
      withDb = async (work) => {
        const db = await openPglite({ dataDir: join(env['LNMP_DATA_DIR']!, 'pglite') });
        try {
          return await work(db);
        } finally {
          await db.close();
        }
      };
    }
    expect((await run(['domain', 'add', domain])).code).toBe(0);
    expect(await run(['user', 'add', `alice@${domain}`, '--password-stdin', '--mnemonic-stdin'], { text: `old password\n${MNEMONIC}\n` })).toMatchObject({ code: 0, err: '' });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await dispose();
    rmSync(root, { recursive: true, force: true });
  });

  async function run(argv: string[], stdin: FakeStdin = {}) {
    const io = fakeIo(env, {}, stdin);
    const code = await runCli(argv, io);
    return { code, out: io.out(), err: io.err() };
  }

  /** Logs in as the gateway's front-ends do (IMAP, SMTP and JMAP Basic share this call). */
  const login = (address: string, password: string) =>
    withDb(async (db) => {
      const accounts = new AccountService(db, { rng: systemRng });
      try {
        const account = await accounts.authenticate(address, password);
        account.lock();
        return 'ok';
      } catch (err) {
        return (err as { code?: string }).code;
      }
    });

  it('user passwd: wrong current password is one line, exit 1; then the new password works and the old fails', { timeout: TIMEOUT_MS }, async () => {
    if (full) await passwdRefusals();
    expect(await run(['user', 'passwd', `Alice@${domain}`, '--password-stdin'], { text: 'old password\nnew password\n' })).toEqual({
      code: 0, out: `password changed for alice@${domain}\n`, err: '',
    });
    expect(await login(`alice@${domain}`, 'old password')).toBe('auth_failed');
    expect(await login(`alice@${domain}`, 'new password')).toBe('ok');
  });

  if (full) it('user passwd prompts on a terminal: the current password once, the new one twice', { timeout: TIMEOUT_MS }, async () => {
    const typo = await run(['user', 'passwd', `alice@${domain}`], { tty: true, text: 'new password\rnewer password\rnewer passwort\r' });
    expect(typo).toEqual({ code: 2, out: '', err: 'Current password: \nNew password: \nRepeat new password: \nlnmp-gateway: the passwords do not match\n' });
    const r = await run(['user', 'passwd', `alice@${domain}`], { tty: true, text: 'new password\rnewer password\rnewer password\r' });
    expect(r).toEqual({ code: 0, out: `password changed for alice@${domain}\n`, err: 'Current password: \nNew password: \nRepeat new password: \n' });
    expect((await run(['user', 'passwd', `alice@${domain}`, '--password-stdin'], { text: 'newer password\nnew password\n' })).code).toBe(0);
  });

  async function passwdRefusals() {
    expect(await run(['user', 'passwd', `alice@${domain}`, '--password-stdin'], { text: 'wrong password\nnew password\n' })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: wrong password for alice@${domain}, or no such user\n`,
    });
    expect(await run(['user', 'passwd', `nobody@${domain}`, '--password-stdin'], { text: 'old password\nnew password\n' })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: wrong password for nobody@${domain}, or no such user\n`,
    });
    expect(await run(['user', 'passwd', `alice@${domain}`, '--password-stdin'], { text: 'old password\n' })).toEqual({
      code: 2, out: '', err: 'lnmp-gateway: no new password on stdin\n',
    });
    expect(await run(['user', 'passwd', `alice@${domain}`, '--password-stdin'], { text: 'old password\nshort\n' })).toEqual({
      code: 2, out: '', err: 'lnmp-gateway: passwords have 8-1024 characters\n',
    });
  }

  it('user export-key prints the mnemonic on stdout only, with a warning on stderr', { timeout: TIMEOUT_MS }, async () => {
    const text = await run(['user', 'export-key', `alice@${domain}`, '--password-stdin'], { text: 'new password\n' });
    expect(text).toEqual({
      code: 0,
      out: `${MNEMONIC}\n`,
      err: `lnmp-gateway: warning: this mnemonic is alice@${domain}'s identity: whoever has it can read their mail and sign as them; keep it offline and private\n`,
    });
    if (!full) return;
    const json = await run(['user', 'export-key', `alice@${domain}`, '--password-stdin', '--json'], { text: 'new password\n' });
    expect(JSON.parse(json.out)).toEqual({ address: `alice@${domain}`, publicKey: identityFromMnemonic(MNEMONIC).publicKey, mnemonic: MNEMONIC });
    expect(await run(['user', 'export-key', `alice@${domain}`, '--password-stdin'], { text: 'old password\n' })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: wrong password for alice@${domain}, or no such user\n`,
    });
    expect(await run(['user', 'export-key', `alice@${domain}`])).toEqual({ code: 2, out: '', err: 'lnmp-gateway: no password: use --password-stdin or run in a terminal\n' });
  });

  let token = '';
  it('token create prints a token once; list shows names and times, never the token', { timeout: TIMEOUT_MS }, async () => {
    const created = await run(['token', 'create', `alice@${domain}`, '--name', 'phone', '--password-stdin', '--json'], { text: 'new password\n' });
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const json = JSON.parse(created.out) as { address: string; name: string; token: string; createdAt: string };
    expect(json).toEqual({ address: `alice@${domain}`, name: 'phone', token: expect.stringMatching(/^lnmp_[a-z2-7]{52}$/), createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    token = json.token;

    const text = await run(['token', 'create', `alice@${domain}`, '--password-stdin'], { text: 'new password\n' });
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^name: {2}token-\d+\ntoken: lnmp_[a-z2-7]{52}\n# The token is shown only this once\. Use it as a JMAP bearer token, or as the password for IMAP and SMTP\.\n$/);

    // The token is an app password for the user it belongs to, and no one else.
    expect(await login(`alice@${domain}`, token)).toBe('ok');
    expect(await login(`ALICE@${domain}`, token)).toBe('ok');
    const stored = await withDb((db) => db.query<{ verifier: Uint8Array; wrapped: Uint8Array; label: string }>("SELECT verifier, wrapped, label FROM credentials WHERE kind = 'token' ORDER BY id"));
    expect(stored.map((r) => r.label)).toEqual(['phone', expect.stringMatching(/^token-\d+$/)]);
    for (const row of stored) {
      expect(Buffer.from(row.verifier).toString('latin1')).not.toContain(token.slice(5));
      expect(Buffer.from(row.wrapped).toString('latin1')).not.toContain(token.slice(5));
    }

    const list = await run(['token', 'list', `alice@${domain}`, '--json']);
    expect(list.code).toBe(0);
    const tokens = JSON.parse(list.out) as Array<{ name: string; createdAt: string; lastUsedAt: string | null }>;
    expect(tokens.map((t) => t.name)).toEqual(['phone', expect.stringMatching(/^token-\d+$/)]);
    expect(tokens[0]!.lastUsedAt).toMatch(/^\d{4}-/);
    expect(tokens[1]!.lastUsedAt).toBeNull();
    expect(list.out).not.toContain('lnmp_');
    const listText = await run(['token', 'list', `alice@${domain}`]);
    expect(listText.out.split('\n')[0]).toMatch(/^phone +created \d{4}-\S+ {2}last used \d{4}-\S+$/);
    expect(listText.out.split('\n')[1]).toMatch(/^token-\d+ +created \d{4}-\S+ {2}last used never$/);
  });

  if (full) it('token refusals: wrong password, a name in use, a bad name, an unknown token or user', { timeout: TIMEOUT_MS }, async () => {
    expect(await run(['token', 'create', `alice@${domain}`, '--password-stdin'], { text: 'old password\n' })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: wrong password for alice@${domain}, or no such user\n`,
    });
    // A token does not make more tokens (nor export the identity).
    expect(await run(['token', 'create', `alice@${domain}`, '--password-stdin'], { text: `${token}\n` })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: wrong password for alice@${domain}, or no such user\n`,
    });
    expect(await run(['token', 'create', `alice@${domain}`, '--name', 'phone', '--password-stdin'], { text: 'new password\n' })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: alice@${domain} already has a token named phone\n`,
    });
    expect(await run(['token', 'create', `alice@${domain}`, '--name', 'my phone', '--password-stdin'], { text: 'new password\n' })).toEqual({
      code: 2, out: '', err: 'lnmp-gateway: token names have 1-64 characters: letters, digits, ".", "_", "-", starting with a letter or digit\n',
    });
    expect(await run(['token', 'revoke', `alice@${domain}`, 'tablet'])).toEqual({ code: 1, out: '', err: `lnmp-gateway: alice@${domain} has no token named tablet\n` });
    expect(await run(['token', 'list', `nobody@${domain}`])).toEqual({ code: 1, out: '', err: `lnmp-gateway: no user nobody@${domain}\n` });
  });

  it('token revoke: the token stops working', { timeout: TIMEOUT_MS }, async () => {
    expect(await run(['token', 'revoke', `alice@${domain}`, 'phone'])).toEqual({ code: 0, out: `revoked phone of alice@${domain}\n`, err: '' });
    expect(await login(`alice@${domain}`, token)).toBe('auth_failed');
    const list = JSON.parse((await run(['token', 'list', `alice@${domain}`, '--json'])).out) as Array<{ name: string }>;
    expect(list.map((t) => t.name)).toEqual([expect.stringMatching(/^token-\d+$/)]);
  });

  if (full) it('user import-key refuses an address or key in use and a malformed mnemonic', { timeout: TIMEOUT_MS }, async () => {
    expect(await run(['user', 'import-key', `alice@${domain}`, '--password-stdin', '--mnemonic-stdin'], { text: `password1\n${MNEMONIC}\n` })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: alice@${domain} or its key is already in use\n`,
    });
    expect(await run(['user', 'import-key', `carol@${domain}`, '--password-stdin', '--mnemonic-stdin'], { text: `password1\n${MNEMONIC}\n` })).toEqual({
      code: 1, out: '', err: `lnmp-gateway: carol@${domain} or its key is already in use\n`,
    });
    expect(await run(['user', 'import-key', `carol@${domain}`, '--password-stdin', '--mnemonic-stdin'], { text: 'password1\nlegal winner thank year\n' })).toEqual({
      code: 2, out: '', err: 'lnmp-gateway: not a valid mnemonic: unknown word, wrong word count or bad checksum\n',
    });
    expect(await run(['user', 'import-key', `carol@${domain}`, '--password-stdin'], { text: 'password1\n' })).toEqual({
      code: 2, out: '', err: 'lnmp-gateway: no mnemonic: use --mnemonic-stdin or run in a terminal\n',
    });
  });

  it('user delete refuses without --yes, then removes the user and every row, and the address is free', { timeout: TIMEOUT_MS }, async () => {
    expect(await run(['user', 'delete', `alice@${domain}`])).toEqual({
      code: 2, out: '', err: `lnmp-gateway: not deleting alice@${domain} without --yes: its mail and keys would be gone for good\n`,
    });
    if (full) expect(await run(['user', 'delete', `nobody@${domain}`, '--yes'])).toEqual({ code: 1, out: '', err: `lnmp-gateway: no user nobody@${domain}\n` });
    const userId = await withDb(async (db) => (await db.query<{ id: number }>('SELECT id FROM users WHERE address = $1', [`alice@${domain}`]))[0]!.id);
    await withDb(async (db) => {
      await db.query("INSERT INTO outbound_messages (user_id, envelope_from, data, size) VALUES ($1, 'alice@x', '\\x00', 1)", [userId]);
      await db.query("INSERT INTO outbound (user_id, transport, recipient, message_id) SELECT $1, 'smtp', 'x@y.test', id FROM outbound_messages WHERE user_id = $1", [userId]);
      await db.query("INSERT INTO contacts (user_id, address_hash, class) VALUES ($1, '\\x01', 'friend')", [userId]);
    });
    expect(await run(['user', 'delete', `alice@${domain}`, '--yes', '--json'])).toEqual({ code: 0, out: `{"address":"alice@${domain}","messages":0}\n`, err: '' });
    expect(await login(`alice@${domain}`, 'new password')).toBe('auth_failed');
    const left = await withDb(async (db) => {
      // Every table with a user_id column (later migrations' included), and the users row.
      const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.columns WHERE column_name = 'user_id' AND table_schema = current_schema()");
      expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['credentials', 'aliases', 'mailboxes', 'blobs', 'messages', 'changes', 'contacts', 'postage', 'outbound', 'outbound_messages']));
      const counts: Record<string, number> = {};
      for (const table of [...tables.map((t) => t.table_name), 'users']) {
        const column = table === 'users' ? 'id' : 'user_id';
        counts[table] = (await db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ${table} WHERE ${column} = $1`, [userId]))[0]!.n;
      }
      counts['outbound (any)'] = (await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM outbound'))[0]!.n;
      return counts;
    });
    expect(Object.entries(left).filter(([, n]) => n !== 0)).toEqual([]);
    const imported = await run(['user', 'import-key', `alice@${domain}`, '--password-stdin', '--mnemonic-stdin', '--json'], { text: `password1\n${MNEMONIC}\n` });
    expect(imported.err).toBe('');
    expect(JSON.parse(imported.out)).toEqual({ address: `alice@${domain}`, lnmpAddress: expect.stringMatching(/^alice#/), publicKey: identityFromMnemonic(MNEMONIC).publicKey });
    expect(await login(`alice@${domain}`, 'password1')).toBe('ok');
  });

  if (full) it('every new command has --help', async () => {
    for (const argv of [['user', 'passwd'], ['user', 'delete'], ['user', 'export-key'], ['user', 'import-key'], ['token', 'create'], ['token', 'list'], ['token', 'revoke'], ['status'], ['init']]) {
      const r = await run([...argv, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: lnmp-gateway ${argv.join(' ')} `));
      expect(r.out).not.toMatch(/--password[ =<]/);
    }
  });
});


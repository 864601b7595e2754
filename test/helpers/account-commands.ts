// The account commands' process tests, shared by every way the CLI reaches the database
// (PostgreSQL, PGlite opened by the command, PGlite through a running gateway): the same
// commands must give the same output and the same exact errors on each.
import { expect, it } from 'vitest';
import { runCliProcess, type CliResult } from './cli-process.js';

/** The first command on a fresh PGlite data directory pays its ~5 s initdb (more under load). */
export const FIRST_RUN_TIMEOUT_MS = 60_000;

export interface AccountTestContext {
  /** The environment that points the CLI at the database under test. */
  env(): Record<string, string>;
  /** A domain no other test file uses. */
  readonly domain: string;
  /** Which refusals to check (by description); all when unset. */
  readonly refusals?: readonly string[];
  /** Also check the text form of `domain list` and `user list` (default true). */
  readonly textListings?: boolean;
}

export interface CreatedUserJson {
  address: string;
  lnmpAddress: string;
  publicKey: string;
  mnemonic?: string;
}

export function run(ctx: AccountTestContext, args: string[], stdin?: string): Promise<CliResult> {
  return runCliProcess(args, ctx.env(), { timeoutMs: FIRST_RUN_TIMEOUT_MS, ...(stdin === undefined ? {} : { stdin }) });
}

/** Registers the shared tests; returns the user they create, once they have run. */
export function accountCommandTests(ctx: AccountTestContext): { created: () => CreatedUserJson } {
  const { domain } = ctx;
  let created: CreatedUserJson | undefined;

  it('domain add hosts a domain; domain list shows it', { timeout: FIRST_RUN_TIMEOUT_MS + 30_000 }, async () => {
    const added = await run(ctx, ['domain', 'add', domain.toUpperCase()]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe(`added ${domain}\n`);

    if (ctx.textListings !== false) {
      const text = await run(ctx, ['domain', 'list']);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')).toContain(domain);
    }
    const json = await run(ctx, ['domain', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual({ name: domain });
  });

  it('user add --password-stdin creates a user; user list --json shows it', async () => {
    const add = await run(ctx, ['user', 'add', `Alice@${domain}`, '--password-stdin', '--json'], 'correct horse battery\n');
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const user = JSON.parse(add.stdout) as CreatedUserJson;
    expect(user.address).toBe(`alice@${domain}`);
    expect(user.lnmpAddress).toMatch(new RegExp(`^alice#[0-9A-Za-z]+@${domain.replaceAll('.', '\\.')}$`));
    expect(user.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(user.mnemonic?.split(' ')).toHaveLength(24);
    created = user;

    const list = await run(ctx, ['user', 'list', '--json']);
    expect(list.code).toBe(0);
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(users).toContainEqual({
      address: user.address,
      lnmpAddress: user.lnmpAddress,
      publicKey: user.publicKey,
      status: 'active',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(list.stdout).not.toContain('correct horse');

    if (ctx.textListings === false) return;
    const text = await run(ctx, ['user', 'list']);
    expect(text.stdout.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^alice@\\S+\\s+${user.lnmpAddress.replace(/[.#]/g, '\\$&')}\\s+active$`)));
  });

  const refusals: Array<[what: string, code: number, args: string[], stdin: string | undefined, stderr: string]> = [
    ['a malformed address', 2, ['user', 'add', 'not-an-address', '--password-stdin'], 'password1\n', 'lnmp-gateway: "not-an-address" is not of the form user@domain\n'],
    ['a short password', 2, ['user', 'add', `bob@${domain}`, '--password-stdin'], 'short\n', 'lnmp-gateway: passwords have 8-1024 characters\n'],
    ['an existing user', 1, ['user', 'add', `alice@${domain}`, '--password-stdin'], 'another password\n', `lnmp-gateway: alice@${domain} or its key is already in use\n`],
    ['no password on a non-terminal stdin', 2, ['user', 'add', `carol@${domain}`], undefined, 'lnmp-gateway: no password: use --password-stdin or run in a terminal\n'],
    ['a domain not hosted', 2, ['user', 'add', 'dave@not-hosted.test', '--password-stdin'], 'password1\n', 'lnmp-gateway: not-hosted.test is not hosted here\n'],
    ['a domain already hosted', 1, ['domain', 'add', domain], undefined, `lnmp-gateway: ${domain} is already hosted\n`],
    ['a missing argument', 2, ['user', 'add', '--password-stdin'], undefined, "lnmp-gateway: missing required argument 'address'\n"],
  ];
  it.each(refusals.filter(([what]) => ctx.refusals === undefined || ctx.refusals.includes(what)))(
    'refuses %s with one line and exit %i',
    async (_what, code, args, stdin, stderr) => {
      const result = await run(ctx, args, stdin);
      expect(result.stderr).toBe(stderr);
      expect(result.code).toBe(code);
      expect(result.stdout).toBe('');
    },
  );

  return {
    created: () => {
      if (!created) throw new Error('user add has not run');
      return created;
    },
  };
}

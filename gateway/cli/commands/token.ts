// `lnmp-gateway token create | list | revoke`: a user's bearer tokens. A token is a JMAP
// `Authorization: Bearer` credential and an app password for IMAP and SMTP; it unlocks the
// mailbox like the password (it wraps its own copy of the keys) but cannot export the identity
// or create more tokens. Shown once at creation; only names and times are listed.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';
import { readPassword, withPasswordCheck } from '../passwords.js';

export function register(program: Command, io: CliIo): void {
  const group = commandGroup(program, 'token', 'bearer tokens (JMAP) and app passwords (IMAP, SMTP) of a user');

  group
    .command('create')
    .description('create a token for a user (needs their password); prints it once')
    .argument('<address>', 'the user, user@domain')
    .option('--name <name>', 'a name to list and revoke it by (letters, digits, ".", "_", "-"; default token-<n>)')
    .option('--password-stdin', 'read the password from the first line of stdin (default: prompt on the terminal)')
    .option('--json', 'print {"address","name","token","createdAt"}')
    .addOption(configOption())
    .action(async (address: string, options: { config?: string; name?: string; passwordStdin?: boolean; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const password = await readPassword(io, options.passwordStdin === true);
      const input = options.name === undefined ? { address, password } : { address, password, name: options.name };
      const created = await withPasswordCheck(address, () => withAdminApi(config, (api) => api.createToken(input)));
      if (options.json) {
        io.stdout(`${JSON.stringify({ address: address.trim().toLowerCase(), name: created.name, token: created.token, createdAt: created.createdAt })}\n`);
        return;
      }
      io.stdout(
        `name:  ${created.name}\ntoken: ${created.token}\n` +
          '# The token is shown only this once. Use it as a JMAP bearer token, or as the password for IMAP and SMTP.\n',
      );
    });

  group
    .command('list')
    .description("list a user's tokens: name, created, last used (never the tokens)")
    .argument('<address>', 'the user, user@domain')
    .option('--json', 'print a JSON array of {"name","createdAt","lastUsedAt"}')
    .addOption(configOption())
    .action(async (address: string, options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const tokens = await withAdminApi(config, (api) => api.listTokens(address));
      if (options.json) {
        io.stdout(`${JSON.stringify(tokens.map((t) => ({ name: t.name, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt })))}\n`);
        return;
      }
      const width = Math.max(0, ...tokens.map((t) => t.name.length));
      io.stdout(tokens.map((t) => `${t.name.padEnd(width)}  created ${t.createdAt}  last used ${t.lastUsedAt ?? 'never'}\n`).join(''));
    });

  group
    .command('revoke')
    .description('delete a token: requests and logins with it fail from now on')
    .argument('<address>', 'the user, user@domain')
    .argument('<name>', 'the token name, as token list shows it')
    .addOption(configOption())
    .action(async (address: string, name: string, options: { config?: string }) => {
      const { config } = await loadCliConfig(io, options.config);
      await withAdminApi(config, (api) => api.revokeToken({ address, name }));
      io.stdout(`revoked ${name} of ${address.trim().toLowerCase()}\n`);
    });
}

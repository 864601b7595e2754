// `lnmp-gateway user delete ADDRESS --yes`: remove a user and everything stored for them
// (keys, tokens, mailboxes, messages, contacts, postage, outbound mail); the address is free
// afterwards. Without --yes it refuses: nothing can bring the mail back.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'user', 'manage users and their LNMP identities')
    .command('delete')
    .description('delete a user with all their mail and keys (cannot be undone)')
    .argument('<address>', 'the user, user@domain')
    .option('--yes', 'confirm the deletion (required)')
    .option('--json', 'print {"address","messages"}')
    .addOption(configOption())
    .action(async (address: string, options: { config?: string; yes?: boolean; json?: boolean }) => {
      if (options.yes !== true) throw new CliError(`not deleting ${address} without --yes: its mail and keys would be gone for good`, EXIT.usage);
      const { config } = await loadCliConfig(io, options.config);
      const deleted = await withAdminApi(config, (api) => api.deleteUser(address));
      if (options.json) io.stdout(`${JSON.stringify({ address: deleted.address, messages: deleted.messages })}\n`);
      else io.stdout(`deleted ${deleted.address} (${deleted.messages} message${deleted.messages === 1 ? '' : 's'})\n`);
    });
}

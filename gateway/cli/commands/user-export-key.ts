// `lnmp-gateway user export-key ADDRESS`: print the user's identity in its recovery form (the
// mnemonic; the private key in hex for an identity without one) on stdout only, with a warning
// on stderr. Needs the account password (an app password or token is refused).
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';
import { readPassword, withPasswordCheck } from '../passwords.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'user', 'manage users and their LNMP identities')
    .command('export-key')
    .description("print a user's identity mnemonic (or private key) to stdout; needs the account password")
    .argument('<address>', 'the user, user@domain')
    .option('--password-stdin', 'read the password from the first line of stdin (default: prompt on the terminal)')
    .option('--json', 'print {"address","publicKey","mnemonic"} (or "privateKey" instead of "mnemonic")')
    .addOption(configOption())
    .action(async (address: string, options: { config?: string; passwordStdin?: boolean; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const password = await readPassword(io, options.passwordStdin === true);
      const key = await withPasswordCheck(address, () => withAdminApi(config, (api) => api.exportKey({ address, password })));
      const what = key.mnemonic !== undefined ? 'mnemonic' : 'private key';
      io.stderr(`lnmp-gateway: warning: this ${what} is ${key.address}'s identity: whoever has it can read their mail and sign as them; keep it offline and private\n`);
      if (options.json) {
        io.stdout(`${JSON.stringify({ address: key.address, publicKey: key.publicKey, ...(key.mnemonic !== undefined ? { mnemonic: key.mnemonic } : { privateKey: key.privateKey }) })}\n`);
      } else {
        io.stdout(`${key.mnemonic ?? key.privateKey}\n`);
      }
    });
}

// `lnmp-gateway user import-key ADDRESS`: create a user with an existing LNMP identity, from
// its BIP39 mnemonic (what `user export-key` prints). Refuses an address or key in use. The
// password and mnemonic come from stdin (password, then mnemonic) or prompts, never argv.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';
import { readMnemonic, readNewPassword } from '../passwords.js';

interface Options {
  config?: string;
  passwordStdin?: boolean;
  mnemonicStdin?: boolean;
  json?: boolean;
}

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'user', 'manage users and their LNMP identities')
    .command('import-key')
    .description('create a user with the LNMP identity of a mnemonic; prints its LNMP address and public key')
    .argument('<address>', 'mail address user@domain on a hosted domain (must not exist)')
    .option('--password-stdin', "read the new user's password from the first line of stdin (default: prompt twice on the terminal)")
    .option('--mnemonic-stdin', 'read the BIP39 mnemonic from the next line of stdin (default: prompt on the terminal)')
    .option('--json', 'print {"address","lnmpAddress","publicKey"}')
    .addOption(configOption())
    .action(async (address: string, options: Options) => {
      const { config } = await loadCliConfig(io, options.config);
      const password = await readNewPassword(io, options.passwordStdin === true);
      const mnemonic = await readMnemonic(io, options.mnemonicStdin === true);
      const user = await withAdminApi(config, (api) => api.createUser({ address, password, mnemonic }));
      if (options.json) {
        io.stdout(`${JSON.stringify({ address: user.address, lnmpAddress: user.lnmpAddress, publicKey: user.publicKey })}\n`);
        return;
      }
      io.stdout(`address:      ${user.address}\nlnmp address: ${user.lnmpAddress}\npublic key:   ${user.publicKey}\n`);
    });
}

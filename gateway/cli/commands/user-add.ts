// `lnmp-gateway user add ADDRESS`: create a user with a new LNMP identity, or import one
// from a mnemonic; prints the LNMP address and public key, and a new identity's mnemonic
// once. The password comes from stdin or a terminal prompt without echo, never from argv.
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
    .command('add')
    .description('create a user with a new LNMP identity; prints its LNMP address, public key and (once) mnemonic')
    .argument('<address>', 'mail address user@domain on a hosted domain')
    .option('--password-stdin', 'read the password from the first line of stdin (default: prompt on the terminal)')
    .option('--mnemonic-stdin', 'import the identity of a BIP39 mnemonic read from the next line of stdin')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .action(async (address: string, options: Options) => {
      const { config } = await loadCliConfig(io, options.config);
      const password = await readNewPassword(io, options.passwordStdin === true);
      // On a terminal the mnemonic is asked without echo, as the password is.
      const mnemonic = options.mnemonicStdin ? await readMnemonic(io, !io.stdin.isTTY) : undefined;
      const user = await withAdminApi(config, (api) => api.createUser(mnemonic === undefined ? { address, password } : { address, password, mnemonic }));
      if (options.json) {
        const { address: mail, lnmpAddress, publicKey, mnemonic: words } = user;
        io.stdout(`${JSON.stringify({ address: mail, lnmpAddress, publicKey, ...(words === undefined ? {} : { mnemonic: words }) })}\n`);
        return;
      }
      let text = `address:      ${user.address}\nlnmp address: ${user.lnmpAddress}\npublic key:   ${user.publicKey}\n`;
      if (user.mnemonic !== undefined) {
        text += `mnemonic:     ${user.mnemonic}\n# The mnemonic is shown only this once. It restores the identity: keep it offline and private.\n`;
      }
      io.stdout(text);
    });
}

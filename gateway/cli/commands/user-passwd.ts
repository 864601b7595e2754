// `lnmp-gateway user passwd ADDRESS`: change a user's password. The keys are re-wrapped under
// the new one; the old password stops working everywhere (IMAP, SMTP, JMAP share one login),
// tokens stay valid. Passwords come from stdin (current, then new) or prompts, never argv.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';
import { readNewPassword, readPassword, withPasswordCheck } from '../passwords.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'user', 'manage users and their LNMP identities')
    .command('passwd')
    .description("change a user's password (needs the current one)")
    .argument('<address>', 'the user, user@domain')
    .option('--password-stdin', 'read the current password, then the new one, from two lines of stdin (default: prompt on the terminal)')
    .addOption(configOption())
    .action(async (address: string, options: { config?: string; passwordStdin?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const fromStdin = options.passwordStdin === true;
      const password = await readPassword(io, fromStdin, 'Current password: ', 'current password');
      const newPassword = await readNewPassword(io, fromStdin, 'New password: ', 'new password');
      await withPasswordCheck(address, () => withAdminApi(config, (api) => api.changePassword({ address, password, newPassword })));
      io.stdout(`password changed for ${address.trim().toLowerCase()}\n`);
    });
}

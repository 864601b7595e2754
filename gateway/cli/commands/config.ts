// `lnmp-gateway config check`: load the configuration as `start` would and print it
// with secrets masked, or print what is wrong with it and exit 2.
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration and print the effective settings, secrets masked')
    .addOption(configOption())
    .option('--json', 'print JSON instead of key = value lines')
    .action(async (options: { config?: string; json?: boolean }) => {
      const loaded = await loadCliConfig(io, options.config);
      const [{ maskSecrets }, { formatConfigText }] = await Promise.all([import('../../../config/load.js'), import('../format-config.js')]);
      const masked = maskSecrets(loaded.config);
      io.stdout(options.json ? `${JSON.stringify(masked, null, 2)}\n` : formatConfigText(masked, loaded.sources));
    });
}

// `lnmp-gateway domain add DOMAIN`: host a new mail domain, in the database the server uses.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'domain', 'manage the hosted mail domains')
    .command('add')
    .description('host a new mail domain')
    .argument('<domain>', 'domain name, e.g. example.org')
    .addOption(configOption())
    .action(async (domain: string, options: { config?: string }) => {
      const { config } = await loadCliConfig(io, options.config);
      const added = await withAdminApi(config, (api) => api.addDomain(domain));
      io.stdout(`added ${added.name}\n`);
    });
}

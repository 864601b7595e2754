// `lnmp-gateway domain list`: the hosted mail domains, one per line or as JSON.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'domain', 'manage the hosted mail domains')
    .command('list')
    .description('list the hosted mail domains')
    .addOption(configOption())
    .option('--json', 'print a JSON array of {"name"}')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const domains = await withAdminApi(config, (api) => api.listDomains());
      if (options.json) io.stdout(`${JSON.stringify(domains.map((d) => ({ name: d.name })))}\n`);
      else io.stdout(domains.map((d) => `${d.name}\n`).join(''));
    });
}

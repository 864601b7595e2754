// `lnmp-gateway domain dns DOMAIN`: the DNS records to publish for a hosted domain, as zone-file
// lines or JSON. Asks the database the server uses (or the running gateway), so the DKIM key
// printed is the one outgoing mail is signed with; it is created if the domain has none yet.
import type { Command } from 'commander';
import { isServiceError } from '../../../services/errors.js';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';
import { formatZone } from '../zone-file.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'domain', 'manage the hosted mail domains')
    .command('dns')
    .description('print the DNS records to publish for a hosted domain (zone-file lines)')
    .argument('<domain>', 'a hosted domain, e.g. example.org')
    .addOption(configOption())
    .option('--json', 'print a JSON array of {"name","type","ttl","value"} (TXT values whole and unquoted)')
    .action(async (domain: string, options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      let records;
      try {
        records = await withAdminApi(config, (api) => api.domainDns(domain));
      } catch (err) {
        // The command ran and the domain is not there: a failure like `domain add` of a hosted
        // domain, not a usage error.
        if (isServiceError(err, 'domain_not_hosted')) throw new CliError(err.message, EXIT.failure, { cause: err });
        throw err;
      }
      if (options.json) {
        io.stdout(`${JSON.stringify(records.map(({ name, type, ttl, value }) => ({ name, type, ttl, value })))}\n`);
        return;
      }
      io.stdout(formatZone(records));
    });
}

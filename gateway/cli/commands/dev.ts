// `lnmp-gateway dev pay BOLT11`: development only — "pays" an invoice of the embedded dev
// Lightning backend (a postage invoice becomes held, and the message is delivered). Through
// the running gateway when there is one, so it sees the payment at once.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  const dev = commandGroup(program, 'dev', 'development helpers (dev Lightning backend only)');
  dev
    .command('pay')
    .description('pay an invoice of the dev Lightning backend (no money moves)')
    .argument('<bolt11>', 'the invoice, as in the auto-reply or on the pay page')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (bolt11: string, options: { config?: string; json?: boolean }) => {
      const invoice = bolt11.trim().replace(/^lightning:/i, '');
      if (!/^ln[a-z0-9]+$/i.test(invoice)) throw new CliError('not a BOLT11 invoice (expected lnbcrt...)', EXIT.usage);
      const { config } = await loadCliConfig(io, options.config);
      const paid = await withAdminApi(config, (api) => api.devPay(invoice.toLowerCase()));
      io.stdout(options.json ? `${JSON.stringify(paid)}\n` : `paid: ${paid.paymentHash} is ${paid.state}\n`);
    });
}

// `lnmp-gateway queue list` and `queue retry ID...`: the outbound queue for the operator —
// what is waiting, why (the last reply), and making rows due now. Bodies are never shown.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  const queue = commandGroup(program, 'queue', 'inspect and retry the outbound mail queue');
  queue
    .command('list')
    .description('list the queued outbound mail, oldest first: id, transport, recipient, attempts, next attempt, last reply')
    .addOption(configOption())
    .option('--json', 'print a JSON array of the queued rows')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const rows = await withAdminApi(config, (api) => api.queueList());
      if (options.json) {
        io.stdout(`${JSON.stringify(rows)}\n`);
        return;
      }
      for (const r of rows) {
        io.stdout(`${r.id}\t${r.transport}\t${r.recipient}\tattempts=${r.attempts}\tnext=${r.nextAttempt}\t${r.lastReply ?? '-'}\n`);
      }
    });
  queue
    .command('retry')
    .description('make queued rows due now; the outbound worker takes them on its next round')
    .argument('<id...>', 'queue row ids, as `queue list` shows them')
    .addOption(configOption())
    .action(async (ids: string[], options: { config?: string }) => {
      const numbers = ids.map((id) => {
        if (!/^[1-9]\d{0,15}$/.test(id)) throw new CliError(`"${id}" is not a queue id`, EXIT.usage);
        return Number(id);
      });
      const { config } = await loadCliConfig(io, options.config);
      const retried = await withAdminApi(config, (api) => api.queueRetry(numbers));
      const missing = numbers.filter((n) => !retried.includes(n));
      if (retried.length > 0) io.stdout(`scheduled now: ${retried.join(' ')}\n`);
      if (missing.length > 0) throw new CliError(`not queued: ${missing.join(' ')}`, EXIT.failure);
    });
}

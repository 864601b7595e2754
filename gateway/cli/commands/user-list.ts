// `lnmp-gateway user list`: every user with LNMP address and status, or as JSON with keys.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  commandGroup(program, 'user', 'manage users and their LNMP identities')
    .command('list')
    .description('list the users: address, LNMP address, status')
    .addOption(configOption())
    .option('--json', 'print a JSON array of {"address","lnmpAddress","publicKey","status","createdAt"}')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const users = await withAdminApi(config, (api) => api.listUsers());
      if (options.json) {
        const rows = users.map((u) => ({ address: u.address, lnmpAddress: u.lnmpAddress, publicKey: u.publicKey, status: u.status, createdAt: u.createdAt }));
        io.stdout(`${JSON.stringify(rows)}\n`);
        return;
      }
      const width = (pick: (u: (typeof users)[number]) => string) => Math.max(0, ...users.map((u) => pick(u).length));
      const [a, l] = [width((u) => u.address), width((u) => u.lnmpAddress)];
      io.stdout(users.map((u) => `${u.address.padEnd(a)}  ${u.lnmpAddress.padEnd(l)}  ${u.status}\n`).join(''));
    });
}

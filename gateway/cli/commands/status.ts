// `lnmp-gateway status`: asks the gateway running on the data directory, through its admin
// socket, for its listeners, backends, outbound queue, relay connections, uptime and version.
// It never opens the database itself: with no gateway running there is nothing to report.
import type { Command } from 'commander';
import type { GatewayStatus } from '../../admin/status.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('show the running gateway: listeners, backends, outbound queue, relay connections, uptime, version')
    .option('--json', 'print the status as JSON')
    .addOption(configOption())
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const [{ connectAdmin }, { AdminError }, { adminSocketPath }] = await Promise.all([
        import('../../admin/client.js'),
        import('../../admin/errors.js'),
        import('../../admin/protocol.js'),
      ]);
      const notRunning = (cause?: unknown) => new CliError(`no gateway is running on ${config.dataDir} (start it with lnmp-gateway start)`, EXIT.failure, { cause });
      const client = await connectAdmin(adminSocketPath(config.dataDir));
      if (!client) throw notRunning();
      let status: GatewayStatus;
      try {
        status = await client.api.status();
      } catch (err) {
        // Another command holds the socket while it works on the data directory: no gateway.
        if (err instanceof AdminError && err.code === 'unknown_op') throw notRunning(err);
        throw err;
      } finally {
        client.close();
      }
      io.stdout(options.json ? `${JSON.stringify(status)}\n` : formatStatus(status));
    });
}

export function formatStatus(s: GatewayStatus): string {
  const width = Math.max(0, ...s.listeners.map((l) => l.service.length));
  const queue = s.queue.queued === 0 ? '0 queued' : `${s.queue.queued} queued, oldest ${duration(s.queue.oldestAgeSeconds ?? 0)} old`;
  return [
    `lnmp-gateway ${s.version}: ${s.state}, up ${duration(s.uptimeSeconds)} (pid ${s.pid}, data ${s.dataDir})`,
    'listeners:',
    ...s.listeners.map((l) => `  ${l.service.padEnd(width)}  ${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`),
    `backends: database ${s.backends.database}, notifier ${s.backends.notifier}, lightning ${s.backends.lightning}`,
    `outbound queue: ${queue}`,
    `relay connections: ${s.relayConnections}`,
  ].join('\n') + '\n';
}

/** 3725 → "1h 2m 5s". */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${seconds % 60}s`].filter(Boolean);
  return parts.slice(0, 3).join(' ');
}

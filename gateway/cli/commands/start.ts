// `lnmp-gateway start`: load the configuration, start the gateway, and run until SIGINT
// or SIGTERM, then close listeners and exit 0. With `workers` > 1 this process becomes the
// primary of that many gateway processes (gateway/cluster.ts).
import type { Command } from 'commander';
import { isClusterPrimary, reportReady, runPrimary, waitForPrimaryStop, workerIndex } from '../../cluster.js';
import { createLogger } from '../../log.js';
import { startGateway } from '../../server.js';
import { VERSION } from '../../version.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start the gateway and run until SIGINT or SIGTERM')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { config, file } = loadCliConfig(io, options.config);
      const index = workerIndex();
      const base = createLogger({ level: config.logLevel, write: io.stderr });
      const logger = index === undefined ? base : base.child({ worker: index });
      const stopped = index === undefined ? io.waitForStop() : waitForPrimaryStop();
      logger.info('starting', {
        version: VERSION,
        mode: config.mode,
        domain: config.domain,
        configFile: file ?? null,
        database: config.databaseUrl === undefined ? 'embedded' : 'postgres',
        lightning: config.lightning.backend,
        ...(index === undefined ? {} : { pid: process.pid }),
      });
      if (isClusterPrimary(config)) {
        const clean = await runPrimary(config, logger, stopped);
        logger.info('stopped');
        if (!clean) throw new CliError('a worker failed to start; see its error above', EXIT.failure);
        return;
      }
      const gateway = await startGateway(config, logger, { adminSocket: index === undefined || index === 0 });
      if (index !== undefined) reportReady();
      const signal = await stopped;
      logger.info('stopping', { signal });
      await gateway.close();
      logger.info('stopped');
    });
}

// `lnmp-gateway start`: load the configuration, start the gateway, and run until SIGINT
// or SIGTERM, then close listeners and exit 0.
import type { Command } from 'commander';
import { createLogger } from '../../log.js';
import { startGateway } from '../../server.js';
import { VERSION } from '../../version.js';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start the gateway and run until SIGINT or SIGTERM')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { config, file } = loadCliConfig(io, options.config);
      const logger = createLogger({ level: config.logLevel, write: io.stderr });
      const stopped = io.waitForStop();
      logger.info('starting', {
        version: VERSION,
        mode: config.mode,
        domain: config.domain,
        configFile: file ?? null,
        database: config.databaseUrl === undefined ? 'embedded' : 'postgres',
        lightning: config.lightning.backend,
      });
      const gateway = await startGateway(config, logger);
      const signal = await stopped;
      logger.info('stopping', { signal });
      await gateway.close();
      logger.info('stopped');
    });
}

// `lnmp-gateway start`: load the configuration, start the gateway, and run until SIGINT
// or SIGTERM, then close listeners and exit 0. With `workers` > 1 this process becomes the
// primary of that many gateway processes (gateway/cluster.ts).
import type { Command } from 'commander';
import { VERSION } from '../../version.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

/** The domain of the quick start (the default `domain`). */
export const DEMO_DOMAIN = 'example.test';

/** What a newcomer types into Thunderbird (or any client) for the demo account. */
export function demoBlock(host: string, ports: { imap: number; imaps: number; submission: number }, demo: { address: string; password: string }): string {
  return [
    '',
    `Demo account created (the password is shown only now):`,
    `  address   ${demo.address}`,
    `  password  ${demo.password}`,
    '',
    'In Thunderbird: Add Mail Account, enter the address and password, then "Configure manually":',
    `  incoming  IMAP  ${host}  port ${ports.imaps}  SSL/TLS    (or ${ports.imap} STARTTLS)  user ${demo.address}`,
    `  outgoing  SMTP  ${host}  port ${ports.submission}  STARTTLS  user ${demo.address}`,
    'The certificate is self-signed: accept it once. If example.test resolves to this host,',
    "Thunderbird's autoconfig fills all of this in by itself.",
    '',
    '',
  ].join('\n');
}

export function register(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start the gateway and run until SIGINT or SIGTERM')
    .addOption(configOption())
    .action(async (options: { config?: string }) => {
      const { config, file } = await loadCliConfig(io, options.config);
      // The whole gateway is loaded here, not when the CLI starts: other commands never need it.
      const [{ isClusterPrimary, reportReady, runPrimary, waitForPrimaryStop, workerIndex }, { createLogger }, { startGateway }] = await Promise.all([
        import('../../cluster.js'),
        import('../../log.js'),
        import('../../server.js'),
      ]);
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
      // The quick start: on the demo domain in development, the first start creates a demo
      // account and says, once, how to reach it from a mail client.
      if (config.mode === 'development' && config.domain === DEMO_DOMAIN && (index === undefined || index === 0)) {
        const demo = await gateway.createDemoUser();
        if (demo) io.stdout(demoBlock(config.listenHost, { imap: gateway.imapPort, imaps: gateway.imapsPort, submission: gateway.submissionPort }, demo));
      }
      const signal = await stopped;
      logger.info('stopping', { signal });
      await gateway.close();
      logger.info('stopped');
    });
}

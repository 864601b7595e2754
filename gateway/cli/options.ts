// Options and helpers shared by several commands.
import { Option, type Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import type { CliIo } from './io.js';

/** `--config FILE`; LNMP_CONFIG is the fallback, read by the config loader. */
export function configOption(): Option {
  return new Option('-c, --config <file>', 'JSON config file (default: $LNMP_CONFIG, else none)');
}

/** Loads the config loader (zod schema) only when a command runs, not for `--help` or a usage error. */
export async function loadCliConfig(io: CliIo, configPath: string | undefined): Promise<LoadedConfig> {
  const { loadConfig } = await import('../../config/load.js');
  return loadConfig({ env: io.env, configPath, readFile: io.readFile });
}

/**
 * The command group `name` (`domain`, `user`), created by whichever of its subcommands
 * registers first, so each subcommand can live in its own file.
 */
export function commandGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

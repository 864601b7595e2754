// Options and helpers shared by several commands.
import { Option } from 'commander';
import { loadConfig } from '../../config/load.js';
import type { LoadedConfig } from '../../config/load.js';
import type { CliIo } from './io.js';

/** `--config FILE`; LNMP_CONFIG is the fallback, read by the config loader. */
export function configOption(): Option {
  return new Option('-c, --config <file>', 'JSON config file (default: $LNMP_CONFIG, else none)');
}

export function loadCliConfig(io: CliIo, configPath: string | undefined): LoadedConfig {
  return loadConfig({ env: io.env, configPath, readFile: io.readFile });
}

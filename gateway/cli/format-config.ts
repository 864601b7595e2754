// Renders an effective configuration for `config check`: one `key = value` line per
// setting in table order, noting where each non-default value came from.
import { getPath } from '../../config/key-path.js';
import type { Source } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { SETTINGS } from '../../config/settings.js';

/** `config` must already have its secrets masked. */
export function formatConfigText(config: Config, sources: ReadonlyMap<string, Source>): string {
  const lines = ['# effective configuration (secrets masked)'];
  for (const setting of SETTINGS) {
    const value = getPath(config, setting.key.split('.'));
    const source = sources.get(setting.key);
    lines.push(`${setting.key} = ${formatValue(value, setting.unset)}${formatSource(source)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatValue(value: unknown, unset: string | undefined): string {
  const note = unset === undefined ? '' : `  # ${unset.replaceAll('`', '')}`;
  if (value === undefined) return `(unset)${note}`;
  if (Array.isArray(value)) return value.length === 0 ? `(empty)${note}` : value.join(',');
  return String(value);
}

function formatSource(source: Source | undefined): string {
  switch (source?.kind) {
    case 'env':
      return `  # from ${source.name}`;
    case 'file':
      return `  # from ${source.path}`;
    default:
      return '';
  }
}

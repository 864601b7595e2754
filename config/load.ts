// Builds the effective configuration: schema defaults < JSON config file < environment.
// A pure function of (environment, --config path, file reader) so tests need no real
// environment or files; the CLI passes process.env and fs.readFileSync.
import { ConfigError } from './errors.js';
import { getPath, isPlainObject, setPath, splitKey } from './key-path.js';
import type { PlainObject } from './key-path.js';
import { maskValue } from './mask.js';
import { configSchema } from './schema.js';
import type { Config } from './schema.js';
import { CONFIG_FILE_ENV, fromEnv, settingForPath, SETTINGS } from './settings.js';
import type { Setting } from './settings.js';

export { maskSecrets, MASK } from './mask.js';

/** Where a setting's effective value came from. */
export type Source =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string; readonly raw: string };

export interface LoadOptions {
  /** The environment, e.g. process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Config file path given on the command line; wins over LNMP_CONFIG. */
  readonly configPath?: string | undefined;
  /** Reads a file as UTF-8 text; throws like fs.readFileSync on failure. */
  readonly readFile: (path: string) => string;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Source of each setting, by key ("ports.smtp"). */
  readonly sources: ReadonlyMap<string, Source>;
  /** The config file that was read, if any. */
  readonly file?: string;
}

type IssuePath = readonly PropertyKey[];

interface Issue {
  readonly code: string;
  readonly path: IssuePath;
  readonly message: string;
  readonly keys?: readonly string[];
}

/** Environment values that are empty count as unset, as with `LNMP_DOMAIN=` in a compose file. */
function envValue(env: LoadOptions['env'], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const file = options.configPath ?? envValue(options.env, CONFIG_FILE_ENV);
  const fileData = file === undefined ? {} : readConfigFile(file, options.readFile);

  const raw: PlainObject = structuredClone(fileData);
  const sources = new Map<string, Source>();
  for (const setting of SETTINGS) {
    const path = splitKey(setting.key);
    const text = envValue(options.env, setting.env);
    if (text !== undefined && setPath(raw, path, fromEnv(setting, text))) {
      sources.set(setting.key, { kind: 'env', name: setting.env, raw: text });
    } else if (file !== undefined && getPath(fileData, path) !== undefined) {
      sources.set(setting.key, { kind: 'file', path: file });
    } else {
      sources.set(setting.key, { kind: 'default' });
    }
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => describeIssue(issue, raw, sources, file));
    throw new ConfigError('config_invalid', [...new Set(problems)], { cause: result.error });
  }
  return file === undefined ? { config: result.data, sources } : { config: result.data, sources, file };
}

function readConfigFile(file: string, readFile: LoadOptions['readFile']): PlainObject {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw new ConfigError('config_file_unreadable', [`cannot read config file ${file}: ${readFailure(err)}`], { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config_file_not_json', [`config file ${file} is not valid JSON: ${jsonFailure(err, text)}`], {
      cause: err,
    });
  }
  if (!isPlainObject(data)) {
    throw new ConfigError('config_invalid', [`config file ${file}: expected a JSON object, got ${preview(data)}`]);
  }
  return data;
}

const READ_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

function readFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && READ_FAILURES[code]) return READ_FAILURES[code];
  return err instanceof Error ? err.message : String(err);
}

/**
 * V8's JSON messages can quote the surrounding text, which may hold a secret such as a
 * macaroon, so the quote is dropped and the position given as line and column instead.
 */
function jsonFailure(err: unknown, text: string): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/, (?:\.\.\.)?".*$/s, '');
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/s, '')} (line ${line}, column ${column})`;
}

const PREVIEW_LIMIT = 80;

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > PREVIEW_LIMIT ? `${text.slice(0, PREVIEW_LIMIT)}...` : text;
}

function dotted(path: IssuePath): string {
  return path.map(String).join('.');
}

function describeIssue(
  issue: Issue,
  raw: PlainObject,
  sources: ReadonlyMap<string, Source>,
  file: string | undefined,
): string[] {
  const path = issue.path.map((step) => (typeof step === 'number' ? step : String(step)));
  // Only the config file can hold unknown keys: the environment sets known keys only.
  if (issue.code === 'unrecognized_keys') {
    const prefix = path.length === 0 ? '' : `${dotted(path)}.`;
    return (issue.keys ?? []).map((key) => `unknown key "${prefix}${key}" in ${file ?? 'config'}`);
  }
  const setting = settingForPath(path);
  if (!setting) {
    // A group such as "ports" that is not an object; groups only come from the file.
    return [`${dotted(path)} in ${file ?? 'config'}: ${issue.message}, got ${preview(getPath(raw, path))}`];
  }
  const source = sources.get(setting.key) ?? { kind: 'default' };
  const isWhole = dotted(path) === setting.key;
  switch (source.kind) {
    case 'env': {
      const got = isWhole ? source.raw : getPath(raw, path);
      const expected = issue.code === 'custom' ? issue.message : (setting.envExpected ?? issue.message);
      return [`${setting.env} (${setting.key}): ${expected}, got ${gotText(setting, got)}`];
    }
    case 'file':
      return [`${dotted(path)} in ${source.path}: ${issue.message}, got ${gotText(setting, getPath(raw, path))}`];
    case 'default':
      return [`${setting.key} (${setting.env}): ${issue.message}`];
  }
}

function gotText(setting: Setting, value: unknown): string {
  return preview(maskValue(setting.secret, value));
}

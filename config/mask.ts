// Hides secrets before a config value is printed or logged: whole values (the LND
// macaroon) and the password part of URLs (database, Redis), keeping the rest readable.
import { getPath, setPath, splitKey } from './key-path.js';
import type { Config } from './schema.js';
import type { SecretKind } from './settings.js';
import { SETTINGS } from './settings.js';

export const MASK = '********';

/**
 * `scheme://user:password@host/...` → `scheme://user:********@host/...`. Text that does
 * not parse as a URL is masked from the first ":" after the user name to the last "@",
 * erring towards hiding too much rather than leaking part of a password.
 */
export function maskUrlPassword(text: string): string {
  const url = parseUrl(text);
  if (url && url.host !== '') {
    if (url.password === '') return text;
    url.password = MASK;
    return url.href;
  }
  const authorityStart = text.includes('://') ? text.indexOf('://') + 3 : 0;
  const at = text.lastIndexOf('@');
  const colon = text.indexOf(':', authorityStart);
  if (at < authorityStart || colon < 0 || colon > at) return text;
  return `${text.slice(0, colon + 1)}${MASK}${text.slice(at)}`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Masks one value according to how its setting is secret. */
export function maskValue(kind: SecretKind, value: unknown): unknown {
  if (value === undefined || kind === 'none') return value;
  if (kind === 'whole') return MASK;
  return typeof value === 'string' ? maskUrlPassword(value) : value;
}

/** A deep copy of `config` with every secret masked; safe to print or log. */
export function maskSecrets(config: Config): Config {
  const copy = structuredClone(config);
  for (const setting of SETTINGS) {
    if (setting.secret === 'none') continue;
    const path = splitKey(setting.key);
    const value = getPath(copy, path);
    if (value !== undefined) setPath(copy, path, maskValue(setting.secret, value));
  }
  return copy;
}

// The settings table must match the schema key for key, and README.md must carry the
// table generated from it, so documentation cannot drift from the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { configSchema } from './schema.js';
import { CONFIG_FILE_ENV, ENV_SETTINGS, fromEnv, renderSettingsTable, SETTINGS } from './settings.js';
import type { Setting } from './settings.js';

/** Every leaf key path of an object schema, seen through defaults and optionals. */
function leafKeys(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodPrefault || inner instanceof z.ZodOptional) {
      inner = inner.unwrap() as z.ZodType;
    } else break;
  }
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
      leafKeys(child, prefix === '' ? key : `${prefix}.${key}`),
    );
  }
  return [prefix];
}

describe('settings table', () => {
  it('has exactly one row per schema leaf', () => {
    expect(SETTINGS.map((s) => s.key).sort()).toEqual(leafKeys(configSchema).sort());
  });

  it('uses distinct environment variables, none of them LNMP_CONFIG', () => {
    expect(ENV_SETTINGS.size).toBe(SETTINGS.length);
    expect(ENV_SETTINGS.has(CONFIG_FILE_ENV)).toBe(false);
  });

  it('marks the macaroon, the gateway secret and the URLs with passwords as secret', () => {
    const secret = Object.fromEntries(SETTINGS.filter((s) => s.secret !== 'none').map((s) => [s.key, s.secret]));
    expect(secret).toEqual({ databaseUrl: 'url-password', redisUrl: 'url-password', 'lightning.lnd.macaroon': 'whole', gatewaySecret: 'whole' });
  });
});

describe('fromEnv', () => {
  const of = (envKind: Setting['envKind']): Setting => ({ key: 'k', env: 'K', envKind, description: '', secret: 'none' });

  it('converts strictly decimal integers and passes anything else through for the schema to reject', () => {
    expect(fromEnv(of('int'), '0')).toBe(0);
    expect(fromEnv(of('int'), '08080')).toBe(8080);
    for (const text of ['0x10', '1e3', '1.0', '+1', '-1', ' 1', '']) expect(fromEnv(of('int'), text)).toBe(text);
  });

  it('converts booleans and lists', () => {
    expect(fromEnv(of('boolean'), 'True')).toBe(true);
    expect(fromEnv(of('boolean'), 'no')).toBe('no');
    expect(fromEnv(of('list'), ' a , b,,')).toEqual(['a', 'b']);
    expect(fromEnv(of('string'), ' keep ')).toBe(' keep ');
  });
});

describe('README.md', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('documents every environment variable', () => {
    for (const name of [CONFIG_FILE_ENV, ...ENV_SETTINGS.keys()]) expect(readme).toContain(`\`${name}\``);
  });

  it('contains the settings table generated from the code', () => {
    // On failure, paste the table printed here into README.md's Configuration section.
    const table = renderSettingsTable();
    expect(readme.includes(table), `README.md lacks this table:\n${table}`).toBe(true);
  });
});

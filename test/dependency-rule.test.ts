// The dependency rule of docs/architecture.md, checked on every relative import between
// top-level folders: a layer imports only the layers below it (and core/, converters/).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli-process.js';

const BASE = ['core', 'converters', 'config'];

/** For each layer, the other top-level folders its source files may import. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  converters: ['core'],
  config: ['core', 'converters'],
  storage: BASE,
  lightning: BASE,
  services: [...BASE, 'storage', 'lightning'],
  relay: [...BASE, 'services', 'storage', 'lightning'],
  // The gateway process also starts the embedded relay.
  gateway: [...BASE, 'services', 'storage', 'lightning', 'relay'],
};

function sourceFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const IMPORT_RE = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function violations(layer: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(join(REPO_ROOT, layer))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT_RE)) {
      const specifier = match[1] ?? match[2] ?? '';
      const target = relative(REPO_ROOT, resolve(dirname(file), specifier)).split(/[\\/]/)[0] ?? '';
      if (target !== layer && !(ALLOWED[layer] ?? []).includes(target)) {
        found.push(`${relative(REPO_ROOT, file)} imports ${specifier}`);
      }
    }
  }
  return found;
}

describe('dependency rule', () => {
  it.each(Object.keys(ALLOWED))('%s/ imports only the layers below it', (layer) => {
    expect(violations(layer)).toEqual([]);
  });
});

// The gateway's version, read from package.json at startup. The file is found by walking
// up from this module, so it works both from the sources (tests) and from dist/.
import { readFileSync } from 'node:fs';

const PACKAGE_NAME = 'lnmp-gateway';

function readVersion(): string {
  let dir = new URL('./', import.meta.url);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here (or not ours): keep walking up.
    }
    const parent = new URL('../', dir);
    if (parent.href === dir.href) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${import.meta.url}`);
    dir = parent;
  }
}

export const VERSION: string = readVersion();

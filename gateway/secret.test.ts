// The gateway secret: configured, generated once (owner-only) and reused, refused when the
// file is damaged, and never quoted in an error.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../core/index.js';
import { systemRng } from '../services/random.js';
import { loadGatewaySecret, SECRET_FILE } from './secret.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'lnmp-secret-test-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('loadGatewaySecret', () => {
  it('uses the configured secret and writes no file', () => {
    const secret = 'a configured secret of at least 32 chars';
    expect(loadGatewaySecret({ dataDir, gatewaySecret: secret }, systemRng)).toEqual({ bytes: utf8(secret), source: 'configured' });
    expect(() => statSync(join(dataDir, SECRET_FILE))).toThrow(/ENOENT/);
  });

  it('generates 32 bytes once into an owner-only file, then reuses them', () => {
    const first = loadGatewaySecret({ dataDir, gatewaySecret: undefined }, systemRng);
    expect(first.source).toBe('generated');
    expect(first.bytes).toHaveLength(32);
    const path = join(dataDir, SECRET_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${Buffer.from(first.bytes).toString('hex')}\n`);
    const again = loadGatewaySecret({ dataDir, gatewaySecret: undefined }, systemRng);
    expect(again).toEqual({ bytes: first.bytes, source: 'reused' });
  });

  it('refuses a damaged file without quoting it', () => {
    writeFileSync(join(dataDir, SECRET_FILE), 'not-hex-but-secret-looking\n', { mode: 0o600 });
    expect(() => loadGatewaySecret({ dataDir, gatewaySecret: undefined }, systemRng)).toThrow(
      `${join(dataDir, SECRET_FILE)} does not hold a gateway secret (64 hex digits)`,
    );
  });
});

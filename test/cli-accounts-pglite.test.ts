// Account commands as processes on embedded PGlite with no gateway running: each command
// opens the data directory itself (tightening the database directory to owner-only) and
// leaves no admin socket behind. The directory starts from the migrated snapshot; the
// gateway test covers a fresh one.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommandTests } from './helpers/account-commands.js';
import { assertBuilt } from './helpers/cli-process.js';
import { seedPgliteDataDir } from './helpers/databases.js';

let root: string;
let dataDir: string;

beforeAll(async () => {
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), 'lnmp-cli-pglite-'));
  dataDir = join(root, 'data');
  await seedPgliteDataDir(dataDir);
  chmodSync(join(dataDir, 'pglite'), 0o755);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('account commands on PGlite without a gateway', () => {
  // Each command here opens the database itself (~1-3 s), so only the refusals that depend
  // on stored data run; the PostgreSQL and gateway files check every refusal.
  accountCommandTests({
    env: () => ({ LNMP_DATA_DIR: dataDir }),
    domain: 'pglite.example.test',
    textListings: false,
    refusals: ['an existing user', 'no password on a non-terminal stdin', 'a domain already hosted'],
  });

  it('made the database directory owner-only and left no socket', () => {
    expect(statSync(join(dataDir, 'pglite')).mode & 0o777).toBe(0o700);
    expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
  });
});

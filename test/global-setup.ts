// Runs once before all test files: checks that PostgreSQL and Redis are up (tests never skip
// silently) and builds one migrated PGlite data dir that test files clone, instead of each
// paying PGlite's ~5 s initdb.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openPglite, openPostgres } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { TEST_POSTGRES_URL } from './helpers/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  try {
    const pg = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
    await pg.close();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_POSTGRES_URL} (${(err as Error).message}): start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'lnmp-pglite-'));
  const db = await openPglite();
  await migrate(db);
  const dump = await (db as unknown as { dumpDataDir: () => Promise<Blob> }).dumpDataDir();
  await db.close();
  const file = join(dir, 'migrated.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteSnapshot', file);
  return () => rmSync(dir, { recursive: true, force: true });
}

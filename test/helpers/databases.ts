// Fresh, migrated databases for tests on both backends: a new schema per call on the real
// PostgreSQL, or a clone of the migrated PGlite snapshot built by test/global-setup.ts.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openPglite, openPostgres, type Db } from '../../storage/db.js';
import { migrate } from '../../storage/migrate.js';
import { TEST_POSTGRES_URL } from './services.js';

export type Backend = 'pglite' | 'postgres';
export const BACKENDS: Backend[] = ['pglite', 'postgres'];

export interface TestDb {
  db: Db;
  /** Drops what the test created (the schema on PostgreSQL) and closes the connection. */
  dispose(): Promise<void>;
  /** For PostgreSQL: the schema name, so a second connection (another "process") can join. */
  schema?: string;
}

export async function openTestDb(backend: Backend, opts: { poolSize?: number } = {}): Promise<TestDb> {
  if (backend === 'pglite') {
    const snapshot = readFileSync(inject('pgliteSnapshot'));
    const db = await openPglite({ loadDataDir: new Blob([snapshot]) });
    return { db, dispose: () => db.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const db = await openPostgres(TEST_POSTGRES_URL, { schema, ...(opts.poolSize ? { poolSize: opts.poolSize } : {}) });
  await migrate(db);
  return {
    db,
    schema,
    async dispose() {
      await db.close();
      const cleanup = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
      await cleanup.exec(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.close();
    },
  };
}

export interface TestSchema {
  /** A DATABASE_URL whose connections use the schema (`options=-c search_path=...`). */
  readonly url: string;
  readonly schema: string;
  /** Drops the schema and everything in it. */
  dispose(): Promise<void>;
}

/** A new, empty schema on the test PostgreSQL, for a gateway or CLI process to migrate and use. */
export async function createTestSchema(): Promise<TestSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const url = `${TEST_POSTGRES_URL}${TEST_POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    schema,
    async dispose() {
      const cleanup = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
      await cleanup.exec(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.close();
    },
  };
}

/**
 * Fills `<dataDir>/pglite` with the migrated snapshot, as if a gateway had run there before,
 * sparing a process test PGlite's initdb (~5 s). Tests of a fresh data directory skip this.
 */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const snapshot = readFileSync(inject('pgliteSnapshot'));
  const db = await openPglite({ dataDir: join(dataDir, 'pglite'), loadDataDir: new Blob([snapshot]) });
  await db.close();
}

// Migration runner: applies storage/migrations/NNN_name.sql in order. Safe when several
// gateway processes start at once: everything runs in one transaction holding an advisory
// lock, and each migration is recorded in that same transaction.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { StorageError } from './errors.js';

/** Arbitrary constant: "LNMP" in ASCII. */
const MIGRATION_LOCK_KEY = 0x4c4e4d50;
const FILE_RE = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The .sql files ship beside the sources; the compiled runner in dist/ looks two levels up. */
function migrationsDir(): string {
  for (const rel of ['./migrations/', '../../storage/migrations/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new StorageError('storage_corrupt', 'storage/migrations directory not found');
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((name) => {
      const m = FILE_RE.exec(name);
      if (!m) throw new StorageError('storage_corrupt', `migration file name ${name} is not NNN_name.sql`);
      return { version: Number(m[1]), name, sql: readFileSync(`${dir}/${name}`, 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError('storage_corrupt', `migrations must be numbered 001, 002, … without gaps; found ${m.name}`);
  });
  return migrations;
}

/** Applies every missing migration; returns the versions applied by this call. */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}

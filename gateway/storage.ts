// Opens the database a configuration names and brings its schema up to date: PostgreSQL
// when `databaseUrl` is set, otherwise embedded PGlite in `<dataDir>/pglite`. Used by the
// server and by CLI commands that run without one.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { maskUrlPassword } from '../config/mask.js';
import type { Config } from '../config/schema.js';
import { openPglite, openPostgres, type Db } from '../storage/db.js';
import { StorageError } from '../storage/errors.js';
import { migrate } from '../storage/migrate.js';

/** Directories the gateway creates hold keys and the database: owner only. */
export const DATA_DIR_MODE = 0o700;
/** The embedded database's directory inside `dataDir`. */
export const PGLITE_DIR = 'pglite';

/** Creates `dataDir` (owner-only) if it is missing; an existing directory keeps its mode. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (cause) {
    throw new StorageError('storage_unavailable', `cannot create data directory ${dataDir}: ${reason(cause)}`, { cause });
  }
}

export function pgliteDir(dataDir: string): string {
  return join(dataDir, PGLITE_DIR);
}

/** A migrated database for `config`; connection failures become one-line StorageErrors. */
export async function openStorage(config: Pick<Config, 'dataDir' | 'databaseUrl'>): Promise<Db> {
  const db = config.databaseUrl === undefined ? await openEmbedded(config.dataDir) : await openServer(config.databaseUrl);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

async function openServer(url: string): Promise<Db> {
  try {
    return await openPostgres(url);
  } catch (err) {
    const cause = err instanceof StorageError && err.cause !== undefined ? err.cause : err;
    throw new StorageError('storage_unavailable', `cannot connect to PostgreSQL at ${maskUrlPassword(url)}: ${reason(cause)}`, { cause: err });
  }
}

async function openEmbedded(dataDir: string): Promise<Db> {
  const dir = pgliteDir(dataDir);
  try {
    prepareDataDir(dataDir);
    mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
    // PGlite writes its files world-readable; this directory is what keeps them private,
    // so it is tightened even when it already existed.
    chmodSync(dir, DATA_DIR_MODE);
  } catch (cause) {
    if (cause instanceof StorageError) throw cause;
    throw new StorageError('storage_unavailable', `cannot create ${dir}: ${reason(cause)}`, { cause });
  }
  try {
    return await openPglite({ dataDir: dir });
  } catch (cause) {
    throw new StorageError('storage_unavailable', `cannot open the embedded database in ${dir}: ${reason(cause)}`, { cause });
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && ERRNO_TEXT[code] !== undefined) return ERRNO_TEXT[code];
  if (err instanceof AggregateError && err.message === '' && err.errors[0] instanceof Error) return err.errors[0].message;
  if (err instanceof Error) return err.message || (typeof code === 'string' ? code : err.name);
  return String(err);
}

// Runs the real pg_dump of the machine against one schema of the test database, the way an
// operator (or an attacker with a backup) would see the data.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A dump of a test schema is a few MiB at most; anything larger is a runaway. */
const PG_DUMP_MAX_BUFFER = 512 * 1024 * 1024;
const PG_DUMP_TIMEOUT_MS = 60_000;
const PG_LIB = '/usr/lib/postgresql';

/** pg_dump from PATH, else the newest /usr/lib/postgresql/<version>/bin/pg_dump. Throws if none. */
export function findPgDump(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'pg_dump'))) return join(dir, 'pg_dump');
  }
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const candidate = join(PG_LIB, v, 'bin', 'pg_dump');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`pg_dump not found on PATH nor in ${PG_LIB}/*/bin: install the PostgreSQL client (apt-get install postgresql-client)`);
}

/** Plain-SQL dump of one schema (definitions and data) of the database `url` points at. */
export function pgDump(url: string, schema: string): Promise<string> {
  const u = new URL(url);
  const args = [
    '-h', u.hostname || '127.0.0.1',
    '-p', u.port || '5432',
    '-U', decodeURIComponent(u.username) || 'postgres',
    '--no-password',
    `--schema=${schema}`,
    decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
  ];
  const env = { ...process.env, ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}) };
  const bin = findPgDump();
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, encoding: 'utf8', maxBuffer: PG_DUMP_MAX_BUFFER, timeout: PG_DUMP_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

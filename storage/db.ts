// One query interface over a real PostgreSQL server (node-postgres pool) and embedded PGlite.
// SQL is plain PostgreSQL with $n parameters; results are normalised so both backends return
// the same JS types: int8 → number (our counters stay far below 2^53), bytea → Uint8Array.
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { StorageError } from './errors.js';

export interface Queryable {
  /** One statement with $n parameters; returns the rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;

function int8ToNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new StorageError('storage_corrupt', `int8 value ${text} exceeds 2^53`);
  return n;
}

/** Turns every driver error of a backend's query and exec into a StorageError. */
function guarded(raw: { query<R>(sql: string, params: readonly unknown[]): Promise<R[]>; exec(sql: string): Promise<void> }): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      try {
        return await raw.query<R>(sql, params);
      } catch (cause) {
        throw StorageError.from(cause);
      }
    },
    async exec(sql: string) {
      try {
        await raw.exec(sql);
      } catch (cause) {
        throw StorageError.from(cause);
      }
    },
  };
}

/** Connection-pool size for a real server; one pool per process. */
export const PG_POOL_SIZE = 20;

export async function openPostgres(url: string, opts: { poolSize?: number; schema?: string } = {}): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? PG_POOL_SIZE,
    // Per-pool type parsers, so the process-global pg.types stay untouched.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? int8ToNumber : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  try {
    const c = await pool.connect();
    c.release();
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new StorageError('storage_unavailable', `cannot connect to PostgreSQL: ${(cause as Error).message}`, { cause });
  }

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable =>
    guarded({
      query: async <R>(sql: string, params: readonly unknown[]) => (await client.query(sql, params as unknown[])).rows as R[],
      exec: async (sql: string) => void (await client.query(sql)),
    });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (cause) {
        throw new StorageError('storage_unavailable', `cannot connect to PostgreSQL: ${(cause as Error).message}`, { cause });
      }
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw StorageError.from(err);
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** Embedded PGlite: `dataDir` on disk, or `loadDataDir` to start from a dump (tests), or memory. */
export async function openPglite(opts: { dataDir?: string; loadDataDir?: Blob | File } = {}): Promise<Db> {
  const db = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    parsers: { [INT8_OID]: int8ToNumber },
  });
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable =>
    guarded({
      query: async <R>(sql: string, params: readonly unknown[]) => (await q.query<R>(sql, params as unknown[])).rows,
      exec: async (sql: string) => void (await q.exec(sql)),
    });
  return {
    kind: 'pglite',
    ...wrap(db),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      try {
        return await db.transaction((tx) => fn(wrap(tx)));
      } catch (err) {
        throw StorageError.from(err);
      }
    },
    async close() {
      if (!db.closed) await db.close();
    },
    /** Exposed for test snapshots. */
    dumpDataDir: () => db.dumpDataDir('none'),
  } as Db & { dumpDataDir: () => Promise<Blob | File> };
}

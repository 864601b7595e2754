import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { openPostgres } from './db.js';
import { loadMigrations, migrate } from './migrate.js';
import { TEST_POSTGRES_URL } from '../test/helpers/services.js';

describe.each(BACKENDS)('migrations on %s', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(() => t.dispose());

  it('are all applied and recorded, and a second run applies nothing', async () => {
    const rows = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    expect(await migrate(t.db)).toEqual([]);
  });

  it('returns int8 as number and bytea as Uint8Array on this backend', async () => {
    const [row] = await t.db.query<{ n: number; b: Uint8Array }>("SELECT 9007199254740991::int8 AS n, '\\x0102'::bytea AS b");
    expect(row!.n).toBe(9007199254740991);
    expect(row!.b).toBeInstanceOf(Uint8Array);
    expect([...row!.b]).toEqual([1, 2]);
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query("INSERT INTO domains (name) VALUES ('rollback.test')");
        await tx.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: 'storage_failed', sqlState: '22012' });
    expect(await t.db.query("SELECT 1 FROM domains WHERE name = 'rollback.test'")).toEqual([]);
  });
});

describe('two processes migrating at once (PostgreSQL)', () => {
  it('apply each migration exactly once', async () => {
    const schema = `t_race_${Date.now().toString(36)}`;
    const admin = await openPostgres(TEST_POSTGRES_URL, { poolSize: 1 });
    await admin.exec(`CREATE SCHEMA ${schema}`);
    const a = await openPostgres(TEST_POSTGRES_URL, { schema, poolSize: 2 });
    const b = await openPostgres(TEST_POSTGRES_URL, { schema, poolSize: 2 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const all = loadMigrations().map((m) => m.version);
      expect([...ra, ...rb].sort((x, y) => x - y)).toEqual(all);
      const rows = await a.query<{ n: number }>('SELECT count(*)::int8 AS n FROM schema_migrations');
      expect(rows[0]!.n).toBe(all.length);
    } finally {
      await a.close();
      await b.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    }
  });
});

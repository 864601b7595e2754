// Account commands as processes against PostgreSQL (DATABASE_URL selecting a fresh schema):
// each command connects directly; an unreachable server is one line and exit 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommandTests, run } from './helpers/account-commands.js';
import { assertBuilt } from './helpers/cli-process.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';

let schema: TestSchema;
let dataDir: string;

beforeAll(async () => {
  assertBuilt();
  schema = await createTestSchema();
  dataDir = mkdtempSync(join(tmpdir(), 'lnmp-cli-pg-'));
});

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await schema.dispose();
});

describe('account commands on PostgreSQL', () => {
  const ctx = { env: () => ({ DATABASE_URL: schema.url, LNMP_DATA_DIR: dataDir }), domain: 'postgres.example.test' };
  accountCommandTests(ctx);

  it('reports an unreachable database in one line, password masked, exit 1', async () => {
    const result = await run({ ...ctx, env: () => ({ DATABASE_URL: 'postgres://gw:s3cret@127.0.0.1:1/lnmp', LNMP_DATA_DIR: dataDir }) }, ['domain', 'list']);
    expect(result.stderr).toBe('lnmp-gateway: cannot connect to PostgreSQL at postgres://gw:********@127.0.0.1:1/lnmp: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(result.code).toBe(1);
  });
});

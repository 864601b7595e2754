// `queue list` and `queue retry` in-process against a PostgreSQL schema with queued mail: the
// exact lines and JSON (never the body), retry making rows due now, and the exact refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../../core/index.js';
import { OutboundQueue } from '../../../services/outbound-queue.js';
import { systemRng } from '../../../services/random.js';
import { openPostgres, type Db } from '../../../storage/db.js';
import { migrate } from '../../../storage/migrate.js';
import { createTestSchema, type TestSchema } from '../../../test/helpers/databases.js';
import { fakeIo } from '../../../test/helpers/fake-io.js';
import { runCli } from '../program.js';

const T0 = Date.UTC(2026, 10, 28, 9, 0, 0);
let schema: TestSchema;
let db: Db;
let env: Record<string, string>;
let ids: number[];

beforeAll(async () => {
  schema = await createTestSchema();
  db = await openPostgres(schema.url, { poolSize: 1 });
  await migrate(db);
  env = { DATABASE_URL: schema.url, LNMP_DATA_DIR: '/nonexistent-data-dir' };
  const queue = new OutboundQueue(db, { gatewaySecret: systemRng(32), rng: systemRng, now: () => T0 });
  await db.transaction((tx) =>
    queue.enqueue(tx, {
      userId: null,
      envelopeFrom: 'alice@example.test',
      raw: utf8('Subject: secret subject\r\n\r\nsecret body\r\n'),
      recipients: [{ transport: 'smtp', address: 'bob@remote.example' }, { transport: 'lnmp', address: 'carol#abcdef@lnmp.example' }],
    }),
  );
  ids = (await db.query<{ id: number }>('SELECT id FROM outbound ORDER BY id')).map((r) => r.id);
  await db.query("UPDATE outbound SET attempts = 2, last_reply = '451 4.7.1 try later', next_attempt = $2 WHERE id = $1", [ids[0], new Date(T0 + 3_600_000)]);
});

afterAll(async () => {
  await db.close();
  await schema.dispose();
});

async function run(argv: string[]) {
  const io = fakeIo(env);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('queue', () => {
  it('lists the queued rows with their last reply, as lines or JSON, and never the body', async () => {
    const lines = await run(['queue', 'list']);
    expect(lines).toEqual({
      code: 0,
      err: '',
      out:
        `${ids[0]}\tsmtp\tbob@remote.example\tattempts=2\tnext=2026-11-28T10:00:00.000Z\t451 4.7.1 try later\n` +
        `${ids[1]}\tlnmp\tcarol#abcdef@lnmp.example\tattempts=0\tnext=2026-11-28T09:00:00.000Z\t-\n`,
    });
    const json = await run(['queue', 'list', '--json']);
    expect(JSON.parse(json.out)).toEqual([
      { id: ids[0], transport: 'smtp', recipient: 'bob@remote.example', envelopeFrom: 'alice@example.test', attempts: 2, queuedAt: '2026-11-28T09:00:00.000Z', nextAttempt: '2026-11-28T10:00:00.000Z', lastReply: '451 4.7.1 try later' },
      { id: ids[1], transport: 'lnmp', recipient: 'carol#abcdef@lnmp.example', envelopeFrom: 'alice@example.test', attempts: 0, queuedAt: '2026-11-28T09:00:00.000Z', nextAttempt: '2026-11-28T09:00:00.000Z', lastReply: null },
    ]);
    expect(lines.out + json.out).not.toContain('secret');
  });

  it('retry makes a queued row due now; ids not queued exit 1 and a malformed id exits 2', async () => {
    const before = Date.now();
    expect(await run(['queue', 'retry', String(ids[0])])).toEqual({ code: 0, out: `scheduled now: ${ids[0]}\n`, err: '' });
    const [row] = await db.query<{ next_ms: number }>('SELECT (extract(epoch FROM next_attempt) * 1000)::int8 AS next_ms FROM outbound WHERE id = $1', [ids[0]]);
    expect(row!.next_ms).toBeGreaterThanOrEqual(before - 1000);
    expect(row!.next_ms).toBeLessThanOrEqual(Date.now() + 1000);
    await db.query("UPDATE outbound SET state = 'sent' WHERE id = $1", [ids[1]]);
    expect(await run(['queue', 'retry', String(ids[0]), String(ids[1]), '999999'])).toEqual({
      code: 1,
      out: `scheduled now: ${ids[0]}\n`,
      err: `lnmp-gateway: not queued: ${ids[1]} 999999\n`,
    });
    expect(await run(['queue', 'retry', 'x1'])).toEqual({ code: 2, out: '', err: 'lnmp-gateway: "x1" is not a queue id\n' });
  });
});

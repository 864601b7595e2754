import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage } from '../core/envelope.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { fromHex } from '../core/bytes.js';
import { identityFromPrivateKey } from '../core/keys.js';
import { openTestDb, type TestDb } from '../test/helpers/databases.js';
import { InsertBatcher, MAX_INSERT_BATCH } from './insert-batcher.js';

const alice = identityFromPrivateKey(fromHex('11'.repeat(32), 32));
const bob = identityFromPrivateKey(fromHex('22'.repeat(32), 32));
const carol = identityFromPrivateKey(fromHex('33'.repeat(32), 32));
const make = (n: number, expiry?: number) =>
  createMessage(
    { privateKey: alice.privateKey, to: [bob.publicKey, carol.publicKey], content: { type: 'text', body: `b${n}` }, timestamp: 1000 + n, kind: 2, ...(expiry ? { expiry } : {}) },
    deterministicRng(`batch-${n}`),
  );

describe('InsertBatcher on postgres', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('postgres');
  });
  afterAll(() => t?.dispose());

  it('stores concurrent inserts in shared statements with their header columns; each caller learns whether its envelope was new', async () => {
    const batcher = new InsertBatcher(t.db);
    const messages = Array.from({ length: MAX_INSERT_BATCH + 6 }, (_, i) => make(i, i === 0 ? 5000 : undefined));
    const stored = await batcher.insert(messages[1]!, 1_700_000_000_000);
    // Queued together: new ones, the one already stored, and the same new one twice.
    const results = await Promise.all([...messages, messages[2]!].map((m) => batcher.insert(m, 1_700_000_000_500)));
    expect(stored).toBe(true);
    expect(results.filter((r) => r)).toHaveLength(messages.length - 1);
    expect(results[1]).toBe(false);
    expect(results[2]).toBe(true);
    expect(results.at(-1)).toBe(false);
    const rows = await t.db.query<Record<string, unknown>>(
      `SELECT sender, recipients, kind, "timestamp", expiry, extract(epoch FROM received_at)::float8 AS received, envelope FROM relay_messages WHERE id = $1`,
      [messages[0]!.id],
    );
    expect(rows).toEqual([
      { sender: alice.publicKey, recipients: [bob.publicKey, carol.publicKey], kind: 2, timestamp: 1000, expiry: 5000, received: 1_700_000_000.5, envelope: JSON.parse(JSON.stringify(messages[0])) },
    ]);
    expect((await t.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM relay_messages'))[0]!.n).toBe(messages.length);
  });
});

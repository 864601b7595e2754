import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage } from '../core/envelope.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { fromHex } from '../core/bytes.js';
import { identityFromPrivateKey } from '../core/keys.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { RelayStore } from './store.js';

const alice = identityFromPrivateKey(fromHex('11'.repeat(32), 32));
const bob = identityFromPrivateKey(fromHex('22'.repeat(32), 32));
const make = (n: number, timestamp: number, expiry?: number) =>
  createMessage({ privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', body: `m${n}` }, timestamp, ...(expiry ? { expiry } : {}) }, deterministicRng(`store-${n}`));

describe.each(BACKENDS)('relay store on %s', (backend) => {
  let t: TestDb;
  let store: RelayStore;
  beforeAll(async () => {
    t = await openTestDb(backend);
    store = new RelayStore(t.db);
  });
  afterAll(() => t?.dispose());

  it('dedupes by id, reads newest first across batches (ties by arrival), hides and prunes expired', async () => {
    const now = 2_000_000_000;
    const same = [make(1, 100), make(2, 100), make(3, 100)];
    const later = make(4, 200);
    const expired = make(5, 150, now - 1);
    for (const m of [...same, later, expired]) expect(await store.insert(m, now * 1000)).toBe(true);
    expect(await store.insert(same[0]!, now * 1000)).toBe(false);
    const read = async (batchRows: number, limit = 10) => {
      const ids: unknown[] = [];
      for await (const e of store.query({ to: [bob.publicKey] }, { nowSeconds: now, limit, batchRows })) ids.push(e.id);
      return ids;
    };
    const expected = [later.id, same[2]!.id, same[1]!.id, same[0]!.id];
    expect(await read(1)).toEqual(expected);
    expect(await read(2)).toEqual(expected);
    expect(await read(100)).toEqual(expected);
    expect(await read(1, 3)).toEqual(expected.slice(0, 3));
    expect(await store.prune({ nowMs: now * 1000, retentionSeconds: 60 })).toBe(1);
    expect(await store.prune({ nowMs: (now + 61) * 1000, retentionSeconds: 60 })).toBe(4);
    expect(await read(10)).toEqual([]);
  });
});

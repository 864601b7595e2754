// Windowed counters, in-process and in Redis: counting, the window, reset, and (Redis) two
// gateway processes counting together.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../test/helpers/services.js';
import { createMemoryCounters, createRedisCounters } from './counters.js';

describe('memory counters', () => {
  it('counts hits within the window, forgets them after it, and resets', async () => {
    let now = 1_000;
    const c = createMemoryCounters(() => now);
    expect(await c.hit('k', 100)).toBe(1);
    expect(await c.hit('k', 100)).toBe(2);
    expect(await c.peek('k')).toBe(2);
    expect(await c.peek('other')).toBe(0);
    now += 100;
    expect(await c.peek('k')).toBe(0);
    expect(await c.hit('k', 100)).toBe(1);
    await c.reset('k');
    expect(await c.peek('k')).toBe(0);
  });
});

describe('Redis counters', () => {
  it('are shared by two connections (two gateway processes) and expire with their window', async () => {
    const [a, b] = await Promise.all([createRedisCounters(TEST_REDIS_URL), createRedisCounters(TEST_REDIS_URL)]);
    const key = `test:${randomBytes(6).toString('hex')}`;
    try {
      expect(await a.hit(key, 60_000)).toBe(1);
      expect(await b.hit(key, 60_000)).toBe(2);
      expect(await a.peek(key)).toBe(2);
      await b.reset(key);
      expect(await a.peek(key)).toBe(0);
      // A later hit does not extend the window the first one started.
      expect(await a.hit(`${key}:short`, 50)).toBe(1);
      expect(await a.hit(`${key}:short`, 60_000)).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await b.peek(`${key}:short`)).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the counts of different namespaces (deployments sharing one Redis) apart', async () => {
    const ns = randomBytes(6).toString('hex');
    const [a, b, other] = await Promise.all([createRedisCounters(TEST_REDIS_URL, ns), createRedisCounters(TEST_REDIS_URL, ns), createRedisCounters(TEST_REDIS_URL, `${ns}x`)]);
    try {
      expect(await a.hit('login:ip:127.0.0.1', 60_000)).toBe(1);
      expect(await b.hit('login:ip:127.0.0.1', 60_000)).toBe(2);
      expect(await other.peek('login:ip:127.0.0.1')).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('fails to connect with storage_unavailable naming the URL without its password', async () => {
    await expect(createRedisCounters('redis://:hunter2@127.0.0.1:1')).rejects.toMatchObject({
      code: 'storage_unavailable',
      message: expect.stringMatching(/^cannot connect to Redis at redis:\/\/:\*{8}@127\.0\.0\.1:1: /) as string,
    });
  });
});

describe('Redis counters with batching (the relay publish limits)', () => {
  const key = () => `test:batch:${randomBytes(6).toString('hex')}`;

  it('count locally at once, send the hits to Redis within syncMs, and reset', async () => {
    const ns = randomBytes(6).toString('hex');
    const [batched, exact] = await Promise.all([createRedisCounters(TEST_REDIS_URL, ns, { batching: { maxUnsynced: 100, syncMs: 20 } }), createRedisCounters(TEST_REDIS_URL, ns)]);
    const k = key();
    try {
      const counts = [];
      for (let i = 0; i < 10; i++) counts.push(await batched.hit(k, 60_000));
      expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (let waited = 0; (await exact.peek(k)) < 10 && waited < 5_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      expect(await exact.peek(k)).toBe(10);
      await batched.reset(k);
      expect(await exact.peek(k)).toBe(0);
      expect(await batched.hit(k, 60_000)).toBe(1);
    } finally {
      await Promise.all([batched.close(), exact.close()]);
    }
  });

  it('wait for Redis once maxUnsynced hits of a key are unconfirmed, and send the rest on close', async () => {
    const ns = randomBytes(6).toString('hex');
    // syncMs far beyond the test: only maxUnsynced and close() send hits.
    const [batched, exact] = await Promise.all([createRedisCounters(TEST_REDIS_URL, ns, { batching: { maxUnsynced: 4, syncMs: 3_600_000 } }), createRedisCounters(TEST_REDIS_URL, ns)]);
    const k = key();
    try {
      const quiet = `${k}:quiet`;
      expect(await batched.hit(quiet, 60_000)).toBe(1);
      for (let i = 1; i <= 4; i++) expect(await batched.hit(k, 60_000)).toBe(i);
      expect(await exact.peek(k)).toBe(0);
      await exact.hit(k, 60_000);
      // The fifth hit sends the four and counts itself with what Redis answered (4 + 1 other).
      expect(await batched.hit(k, 60_000)).toBe(6);
      expect(await exact.peek(k)).toBe(5);
      // A key with fewer than half of maxUnsynced unsent waits for the timer (or close).
      expect(await exact.peek(quiet)).toBe(0);
      await batched.close();
      expect(await exact.peek(k)).toBe(6);
      expect(await exact.peek(quiet)).toBe(1);
    } finally {
      await exact.close();
    }
  });

  it('expire with their window', async () => {
    const ns = randomBytes(6).toString('hex');
    const [batched, exact] = await Promise.all([createRedisCounters(TEST_REDIS_URL, ns, { batching: { maxUnsynced: 2, syncMs: 10 } }), createRedisCounters(TEST_REDIS_URL, ns)]);
    const k = key();
    try {
      for (let i = 1; i <= 5; i++) expect(await batched.hit(k, 150)).toBe(i);
      await new Promise((r) => setTimeout(r, 300));
      expect(await exact.peek(k)).toBe(0);
      expect(await batched.hit(k, 150)).toBe(1);
    } finally {
      await Promise.all([batched.close(), exact.close()]);
    }
  });

  it('across processes accept at least the limit and at most (processes − 1) × maxUnsynced more', async () => {
    const ns = randomBytes(6).toString('hex');
    const processes = 3;
    const maxUnsynced = 8;
    const limit = 100;
    const counters = await Promise.all(Array.from({ length: processes }, () => createRedisCounters(TEST_REDIS_URL, ns, { batching: { maxUnsynced, syncMs: 5 } })));
    const k = key();
    try {
      let accepted = 0;
      // 3 × 150 hits, the processes interleaved, each hit answered before the same process's next.
      await Promise.all(
        counters.map(async (c) => {
          for (let i = 0; i < 150; i++) {
            if ((await c.hit(k, 60_000)) <= limit) accepted++;
            if (i % 5 === 0) await new Promise((r) => setImmediate(r));
          }
        }),
      );
      expect(accepted).toBeGreaterThanOrEqual(limit);
      expect(accepted).toBeLessThanOrEqual(limit + (processes - 1) * maxUnsynced);
    } finally {
      await Promise.all(counters.map((c) => c.close()));
    }
    const exact = await createRedisCounters(TEST_REDIS_URL, ns);
    try {
      // Every hit reached Redis, refused ones included.
      expect(await exact.peek(k)).toBe(processes * 150);
    } finally {
      await exact.close();
    }
  });

  it('refuse settings that are not positive integers', async () => {
    await expect(createRedisCounters(TEST_REDIS_URL, '', { batching: { maxUnsynced: 0, syncMs: 10 } })).rejects.toThrow(RangeError);
  });
});

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

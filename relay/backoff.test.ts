// Backoff delays and the bounded id set: pure functions, table tests.
import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './backoff.js';
import { SeenIds } from './seen-ids.js';
import { resolveClientLimits } from './client-limits.js';

describe('fullJitterDelay', () => {
  it.each([
    [0, 0.5, 50],
    [1, 0.5, 100],
    [3, 0.5, 400],
    [10, 0.5, 1_000],
    [1_000, 0.999, 1_998],
    [2, 0, 0],
    [2, 1.5, 400],
    [-3, 0.5, 50],
  ])('after %i failures with random %d waits %i ms (base 100, max 2000)', (failures, random, expected) => {
    expect(fullJitterDelay(failures, 100, 2_000, () => random)).toBe(expected);
  });
});

describe('SeenIds', () => {
  it('reports repeats and forgets the oldest past its capacity', () => {
    const seen = new SeenIds(2);
    expect([seen.add('a'), seen.add('a'), seen.add('b'), seen.add('c')]).toEqual([true, false, true, true]);
    expect([seen.has('a'), seen.has('b'), seen.has('c')]).toEqual([false, true, true]);
  });
});

describe('resolveClientLimits', () => {
  it('refuses a non-positive limit and a max below the base', () => {
    expect(() => resolveClientLimits({ ackTimeoutMs: 0 })).toThrow(new RangeError('relay client limit ackTimeoutMs must be a positive integer, got 0'));
    expect(() => resolveClientLimits({ reconnectBaseMs: 500, reconnectMaxMs: 100 })).toThrow(new RangeError('relay client limit reconnectMaxMs must be at least reconnectBaseMs'));
  });
});

// Exponential backoff with full jitter (a uniformly random wait up to the exponential cap),
// and the timer functions the client and outbox take as parameters so tests can drive them.

/** Milliseconds to wait before attempt `failures + 1`: random in [0, min(max, base · 2^failures)). */
export function fullJitterDelay(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, failures), 30));
  return Math.floor(Math.min(Math.max(random(), 0), 1) * cap);
}

export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

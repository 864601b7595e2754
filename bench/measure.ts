// Timing helpers shared by the benchmarks: run an operation for a fixed wall-clock budget
// (after a warm-up) and report operations per second; CPU time of other processes.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Rate {
  ops: number;
  seconds: number;
  perSecond: number;
}

export function measure(fn: (i: number) => unknown, budgetMs = 1000, warmup = 20): Rate {
  for (let i = 0; i < warmup; i++) fn(i);
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (let k = 0; k < 10; k++) fn(ops++);
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** User + system CPU seconds of the processes `select` picks by pid, parent pid and command name (Linux /proc). */
export function cpuSecondsWhere(select: (p: { pid: number; ppid: number; command: string }) => boolean): number {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      if (!select({ pid: Number(pid), ppid: Number(fields[1]), command: stat.slice(stat.indexOf('(') + 1, close) })) continue;
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // The process ended in between.
    }
  }
  return total;
}

/** A TCP port free on 127.0.0.1 a moment ago (for a server in another process). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// Timing helpers shared by the benchmarks: run an operation for a fixed wall-clock budget
// (after a warm-up) and report operations per second.
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

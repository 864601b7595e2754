// Benchmark runner: `npm run bench -- NAME` runs bench/NAME.ts, which prints its figures and,
// as its last line, one JSON object.
import { BENCHMARKS } from './registry.js';

async function main(): Promise<number> {
  const name = process.argv[2];
  const names = Object.keys(BENCHMARKS).join(', ');
  if (!name) {
    console.error(`usage: npm run bench -- NAME   (one of: ${names})`);
    return 2;
  }
  const bench = BENCHMARKS[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}" (one of: ${names})`);
    return 2;
  }
  await bench();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

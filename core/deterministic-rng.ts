// A deterministic byte stream for vectors and tests: block i = sha256(seed || u32be(i)).
// It is NOT a source of randomness; production code passes the system CSPRNG instead.
import { sha256 } from './hash.js';
import { concatBytes, fromHex, utf8 } from './bytes.js';
import type { Rng } from './keys.js';

export function deterministicRng(seed: string): Rng {
  const seedBytes = utf8(seed);
  let counter = 0;
  let buffer: Uint8Array = new Uint8Array(0);
  return (n: number) => {
    while (buffer.length < n) {
      const ctr = new Uint8Array(4);
      new DataView(ctr.buffer).setUint32(0, counter++, false);
      buffer = concatBytes(buffer, sha256(concatBytes(seedBytes, ctr)));
    }
    const out = buffer.slice(0, n);
    buffer = buffer.slice(n);
    return out;
  };
}

/** Replays listed random values (hex) in order: how a vector's `randomInOrder` is consumed. */
export function replayRng(values: readonly string[]): Rng {
  let i = 0;
  return (n: number) => {
    const v = values[i++];
    if (v === undefined || v.length !== n * 2) throw new Error(`no ${n}-byte random value at position ${i - 1}`);
    return fromHex(v, n);
  };
}

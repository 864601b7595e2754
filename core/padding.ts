// Length hiding: plaintexts are framed as u32be(length) || data || zero bytes and padded to a
// Padmé bucket (at least MIN_PADDED_BYTES). Padmé leaks O(log log n) bits of the length at
// most 12% overhead, instead of the up to 100% of power-of-two buckets.
import { LnmpError } from './errors.js';

export const MIN_PADDED_BYTES = 256;
const LENGTH_PREFIX_BYTES = 4;

/** Padmé: round `len` up so that only its top ~log2(log2(len)) + 1 bits may be non-zero. */
export function padme(len: number): number {
  if (len < 2) return len;
  // Bit lengths, computed exactly rather than through floating-point log2.
  const e = len.toString(2).length - 1;
  const s = e.toString(2).length;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(len / (mask + 1)) * (mask + 1);
}

export function paddedLength(dataLength: number): number {
  return Math.max(MIN_PADDED_BYTES, padme(dataLength + LENGTH_PREFIX_BYTES));
}

export function pad(data: Uint8Array): Uint8Array {
  if (data.length > 0xffffffff) throw new LnmpError('oversize', 'plaintext longer than 2^32-1 bytes');
  const out = new Uint8Array(paddedLength(data.length));
  new DataView(out.buffer).setUint32(0, data.length, false);
  out.set(data, LENGTH_PREFIX_BYTES);
  return out;
}

/** Inverse of pad; rejects a wrong length prefix or non-zero padding as `malformed`. */
export function unpad(padded: Uint8Array): Uint8Array {
  if (padded.length < LENGTH_PREFIX_BYTES) throw new LnmpError('malformed', 'padded plaintext too short');
  const len = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0, false);
  if (padded.length !== paddedLength(len)) throw new LnmpError('malformed', 'padded length does not match the length prefix');
  const end = LENGTH_PREFIX_BYTES + len;
  for (let i = end; i < padded.length; i++) {
    if (padded[i] !== 0) throw new LnmpError('malformed', 'non-zero padding');
  }
  return padded.subarray(LENGTH_PREFIX_BYTES, end);
}

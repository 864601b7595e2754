// Byte-string helpers with strict input checks: hex is accepted in either case but always
// produced lowercase; base64 must be canonical (padded, no whitespace) so encodings are unique.
import { LnmpError } from './errors.js';

// Single character classes plus a length check: a repeated group such as (?:[0-9a-f]{2})*
// makes the regex engine recurse per repetition and overflow the stack on megabyte inputs.
const HEX_CHARS = /^[0-9a-fA-F]*$/;
const B64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

/** Even-length hex, either case. */
export function isHex(s: string): boolean {
  return s.length % 2 === 0 && HEX_CHARS.test(s);
}

/** Padded base64 without whitespace: a multiple of 4 characters, `=` only as the last one or two. */
export function isCanonicalBase64(s: string): boolean {
  return s.length % 4 === 0 && B64_CHARS.test(s);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decodes hex; `expectedBytes` enforces the exact decoded length. */
export function fromHex(hex: unknown, expectedBytes?: number, what = 'value'): Uint8Array {
  if (typeof hex !== 'string') throw new LnmpError('invalid_type', `${what} must be a hex string`);
  if (!isHex(hex)) throw new LnmpError('invalid_hex', `${what} is not hex`);
  if (expectedBytes !== undefined && hex.length !== expectedBytes * 2) {
    throw new LnmpError('invalid_length', `${what} must be ${expectedBytes} bytes (${expectedBytes * 2} hex chars), got ${hex.length} chars`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** True when `s` is lowercase hex of exactly `bytes` bytes: the canonical form for keys and ids. */
export function isLowerHex(s: unknown, bytes: number): s is string {
  return typeof s === 'string' && s.length === bytes * 2 && /^[0-9a-f]*$/.test(s);
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(b64: unknown, what = 'value'): Uint8Array {
  if (typeof b64 !== 'string') throw new LnmpError('invalid_type', `${what} must be a base64 string`);
  if (!isCanonicalBase64(b64)) throw new LnmpError('invalid_base64', `${what} is not canonical base64`);
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time comparison for equal-length inputs. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function ensureBytes(value: unknown, length: number | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new LnmpError('invalid_type', `${what} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new LnmpError('invalid_length', `${what} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

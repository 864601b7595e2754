// The BOLT11 wire format read field by field: bech32, the human-readable prefix with its
// amount, the timestamp, the tagged fields and the recoverable signature. The `invoices`
// package decodes the same bytes; this reader exists for what BOLT11 demands of a reader
// and the package does not do: skip p/h/s/n fields of the wrong length, see every field
// (to refuse duplicates and unknown required features), and check the signature against `n`.
import { bech32 } from '@scure/base';
import { createHash } from 'node:crypto';
import * as ecc from 'tiny-secp256k1';
import { LightningError } from './errors.js';

/** Longest invoice accepted: an alphanumeric QR code holds at most 4,296 characters. */
export const MAX_BOLT11_LENGTH = 4296;

const TIMESTAMP_WORDS = 7;
const SIGNATURE_WORDS = 104;

/** The tagged field types this gateway reads (BOLT11 "Tagged Fields"). */
export const TAG = { p: 1, r: 3, features: 5, x: 6, f: 9, d: 13, s: 16, n: 19, h: 23, c: 24, m: 27 } as const;

/** Fields of fixed length: one of another length must be skipped, not refused (BOLT11). */
const FIXED_LENGTH: ReadonlyMap<number, number> = new Map([
  [TAG.p, 52],
  [TAG.h, 52],
  [TAG.s, 52],
  [TAG.n, 53],
]);

/** Fields that carry one value: a second one makes the invoice ambiguous, so it is refused. */
const SINGLE: ReadonlyMap<number, string> = new Map([
  [TAG.p, 'payment hash (p)'],
  [TAG.s, 'payment secret (s)'],
  [TAG.n, 'payee (n)'],
  [TAG.d, 'description (d)'],
  [TAG.h, 'description hash (h)'],
  [TAG.x, 'expiry (x)'],
  [TAG.c, 'min_final_cltv_expiry_delta (c)'],
  [TAG.features, 'features (9)'],
  [TAG.m, 'metadata (m)'],
]);

const MULTIPLIER_DIVISOR: Readonly<Record<string, bigint>> = { m: 1_000n, u: 1_000_000n, n: 1_000_000_000n, p: 1_000_000_000_000n };
const MSAT_PER_BTC = 100_000_000_000n;

export interface TaggedField {
  type: number;
  words: number[];
}

export interface Bolt11Fields {
  /** The human-readable prefix, lowercase ("lnbcrt10u"). */
  hrp: string;
  currency: string;
  /** Absent for "any amount" invoices. */
  amountMsat?: bigint;
  timestamp: number;
  /** The fields kept, in order; fields BOLT11 says to skip are left out. */
  fields: TaggedField[];
  /** The words the signature covers, exactly as received. */
  signedWords: number[];
  signatureWords: number[];
  /** The compressed public key that signed the invoice (from `n`, else recovered). */
  payee: Uint8Array;
}

/** 5-bit words to bytes, dropping the final partial byte (BOLT11's zero padding). */
export function wordsToBytes(words: readonly number[], padToByte = false): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (padToByte && bits > 0) out.push((acc << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

export function wordsToNumber(words: readonly number[]): number {
  return words.reduce((n, w) => n * 32 + w, 0);
}

function malformed(detail: string, cause?: unknown): LightningError {
  return new LightningError('bolt11_malformed', `not a valid BOLT11 invoice: ${detail}`, cause === undefined ? undefined : { cause });
}

function parseHrp(hrp: string): { currency: string; amountMsat?: bigint } {
  const m = /^ln([a-z]+?)(?:(\d+)([a-z]?))?$/.exec(hrp);
  if (!m || !m[1]) throw malformed(`prefix "${hrp}" is not ln + currency + amount`);
  const [, currency, digits, multiplier] = m;
  if (digits === undefined) return { currency };
  const value = BigInt(digits);
  if (!multiplier) return { currency, amountMsat: value * MSAT_PER_BTC };
  const divisor = MULTIPLIER_DIVISOR[multiplier];
  if (divisor === undefined) throw new LightningError('bolt11_invalid_amount', `invalid amount: unknown multiplier "${multiplier}"`);
  if ((value * MSAT_PER_BTC) % divisor !== 0n) {
    throw new LightningError('bolt11_invalid_amount', 'invalid amount: not a whole number of millisatoshis');
  }
  return { currency, amountMsat: (value * MSAT_PER_BTC) / divisor };
}

function readFields(words: number[]): TaggedField[] {
  const fields: TaggedField[] = [];
  const seen = new Set<number>();
  let i = 0;
  while (i < words.length) {
    if (i + 3 > words.length) throw malformed('a tagged field is cut short');
    const type = words[i] as number;
    const length = (words[i + 1] as number) * 32 + (words[i + 2] as number);
    const data = words.slice(i + 3, i + 3 + length);
    if (data.length !== length) throw malformed('a tagged field runs past the signature');
    i += 3 + length;
    const fixed = FIXED_LENGTH.get(type);
    if (fixed !== undefined && length !== fixed) continue;
    const single = SINGLE.get(type);
    if (single !== undefined) {
      if (seen.has(type)) throw new LightningError('bolt11_duplicate_field', `invoice has more than one ${single}`);
      seen.add(type);
    }
    fields.push({ type, words: data });
  }
  return fields;
}

/**
 * Reads the invoice's structure and checks its signature: with the `n` field's key when
 * present (BOLT11: use it instead of recovery), else by public-key recovery. High-S
 * signatures are accepted, as BOLT11 requires of readers.
 */
export function readBolt11(invoice: string): Bolt11Fields {
  if (typeof invoice !== 'string') throw new TypeError('invoice must be a string');
  if (invoice.length > MAX_BOLT11_LENGTH) throw malformed(`longer than ${MAX_BOLT11_LENGTH} characters`);
  if (!/^ln/i.test(invoice)) throw malformed('does not start with "ln"');
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(invoice, false);
  } catch (cause) {
    // The library's messages quote the whole input; the reader needs only the reason.
    const reason = String((cause as Error).message).split(invoice).join('').split(invoice.toLowerCase()).join('').replace(/\s+in\s*$/, '');
    throw malformed(`bech32: ${reason}`, cause);
  }
  const hrp = decoded.prefix.toLowerCase();
  const words = Array.from(decoded.words);
  if (words.length < TIMESTAMP_WORDS + SIGNATURE_WORDS) throw malformed('too short to hold a timestamp and a signature');
  const { currency, amountMsat } = parseHrp(hrp);
  const signedWords = words.slice(0, -SIGNATURE_WORDS);
  const signatureWords = words.slice(-SIGNATURE_WORDS);
  const timestamp = wordsToNumber(signedWords.slice(0, TIMESTAMP_WORDS));
  const fields = readFields(signedWords.slice(TIMESTAMP_WORDS));

  const sigBytes = wordsToBytes(signatureWords);
  const signature = sigBytes.subarray(0, 64);
  const recoveryId = sigBytes[64] as number;
  const hash = createHash('sha256')
    .update(Buffer.from(hrp, 'utf8'))
    .update(wordsToBytes(signedWords, true))
    .digest();
  const n = fields.find((f) => f.type === TAG.n);
  let payee: Uint8Array | null = null;
  try {
    if (n) {
      const key = wordsToBytes(n.words);
      if (ecc.isPoint(key) && ecc.verify(hash, key, normalizeS(signature), false)) payee = key;
    } else if (recoveryId <= 3) {
      // The recovery id is the low-S form's: BOLT11's high-S example recovers its payee so.
      payee = ecc.recover(hash, normalizeS(signature), recoveryId as 0 | 1 | 2 | 3, true);
    }
  } catch {
    payee = null;
  }
  if (!payee) throw new LightningError('bolt11_bad_signature', 'invoice signature does not verify');
  return { hrp, currency, ...(amountMsat === undefined ? {} : { amountMsat }), timestamp, fields, signedWords, signatureWords, payee };
}

const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** libsecp256k1 verifies low-S signatures only; BOLT11 readers must accept both forms. */
function normalizeS(signature: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  if (s <= CURVE_N / 2n) return signature;
  const out = Uint8Array.from(signature);
  out.set(Buffer.from((CURVE_N - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

/** The invoice re-encoded with only the kept fields (what `invoices` can decode). */
export function encodeKept(parts: Pick<Bolt11Fields, 'hrp' | 'signedWords' | 'fields' | 'signatureWords'>): string {
  const words = parts.signedWords.slice(0, TIMESTAMP_WORDS);
  for (const f of parts.fields) words.push(f.type, f.words.length >> 5, f.words.length & 31, ...f.words);
  words.push(...parts.signatureWords);
  return bech32.encode(parts.hrp, words, false);
}

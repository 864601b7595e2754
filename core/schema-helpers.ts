// zod building blocks shared by the envelope, content and identity schemas.
import { z } from 'zod';
import { isCanonicalBase64 } from './bytes.js';

/** 32 bytes as lowercase hex: the canonical form of keys, ids and hashes. */
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lowercase hex');
/** 64 bytes as lowercase hex: BIP340 signatures. */
export const hex64 = z.string().regex(/^[0-9a-f]{128}$/, 'expected 64 bytes of lowercase hex');

export function base64String(maxChars: number) {
  return z
    .string()
    .max(maxChars)
    .refine(isCanonicalBase64, 'expected canonical base64');
}

/** Non-negative integer count of seconds since the Unix epoch. */
export const unixSeconds = z.number().int().min(0).max(2 ** 40);

export const satoshis = z.number().int().min(0).max(21e14);

export const relayUrl = z
  .string()
  .max(512)
  .regex(/^wss?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/, 'expected a ws:// or wss:// URL');

/** One line listing every problem zod found, each prefixed with its path. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

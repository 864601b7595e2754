// Bearer tokens (JMAP `Authorization: Bearer`, and app passwords for IMAP and SMTP): `lnmp_`
// and 52 base32 characters, 256 random bits, shown once. Stored are only two HKDF outputs of
// the token: a lookup value that finds it and the key that wraps the user's keys. HKDF, not
// scrypt: a token is high-entropy, so there is nothing to stretch. The database side lives in
// AccountService, beside the other credentials.
import { base32 } from '@scure/base';
import { hkdfSha256, utf8, type Rng } from '../core/index.js';
import { ServiceError } from './errors.js';

export const TOKEN_PREFIX = 'lnmp_';
/** 256 bits: far past guessing, so a token check may be a hash lookup. */
export const TOKEN_RANDOM_BYTES = 32;
/** Names are what `token list` shows and `token revoke` takes. */
export const MAX_TOKEN_NAME_CHARS = 64;
const TOKEN_RE = /^lnmp_[a-z2-7]{52}$/;
const TOKEN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A token as `token list` shows it: never the token itself. */
export interface TokenSummary {
  readonly name: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface CreatedToken {
  readonly name: string;
  /** The token, shown once. */
  readonly token: string;
  readonly createdAt: string;
}

export function newToken(rng: Rng): string {
  return TOKEN_PREFIX + base32.encode(rng(TOKEN_RANDOM_BYTES)).replace(/=+$/, '').toLowerCase();
}

/** Whether a password or bearer value has the shape of a token (a cheap check before any query). */
export function isTokenFormat(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_RE.test(value);
}

/** The two stored derivations: `lookup` finds the token, `wrapKey` opens the keys it wraps. */
export function tokenKeys(token: string): { lookup: Uint8Array; wrapKey: Uint8Array } {
  const ikm = utf8(token);
  return {
    lookup: hkdfSha256(ikm, new Uint8Array(0), utf8('lnmp-gateway/v1/token-lookup'), 32),
    wrapKey: hkdfSha256(ikm, new Uint8Array(0), utf8('lnmp-gateway/v1/token-wrap'), 32),
  };
}

export function checkTokenName(name: string): string {
  if (typeof name !== 'string' || name.length > MAX_TOKEN_NAME_CHARS || !TOKEN_NAME_RE.test(name)) {
    throw new ServiceError('invalid_token_name', `token names have 1-${MAX_TOKEN_NAME_CHARS} characters: letters, digits, ".", "_", "-", starting with a letter or digit`);
  }
  return name;
}

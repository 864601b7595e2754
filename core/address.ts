// LNMP addresses `username#checksum@host`. The checksum binds a human-chosen username to a
// public key: first 6 characters of base58(sha256(utf8(pubkeyHex + username))). The local
// part `username#checksum` is valid RFC 5321 dot-atom text, so the address doubles as an
// email address. Mail systems may change case, so the checksum is compared case-insensitively.
import { base58 } from '@scure/base';
import { LnmpError } from './errors.js';
import { utf8 } from './bytes.js';
import { sha256 } from './hash.js';
import { Limits } from './constants.js';
import { parsePublicKey } from './secp256k1.js';

export const CHECKSUM_LENGTH = 6;

export interface LnmpAddress {
  /** Canonical lowercase username. */
  readonly username: string;
  /** Checksum as written (base58 alphabet; compared case-insensitively). */
  readonly checksum: string;
  /** Lowercase host name, or undefined for a bare `username#checksum`. */
  readonly host?: string;
}

// Lowercase letters, digits and . _ -; starts and ends with a letter or digit; no "..".
const USERNAME_RE = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Base58 in any case: a case-folded checksum can contain letters that base58 lacks in one
// case (O, I, l), so the check accepts every letter and digit except 0.
const CHECKSUM_RE = /^[1-9a-z]{6}$/i;

/** Returns the canonical (lowercase) username or throws invalid_username. */
export function normalizeUsername(username: unknown): string {
  if (typeof username !== 'string') throw new LnmpError('invalid_type', 'username must be a string');
  const u = username.toLowerCase();
  if (u.length === 0 || u.length > Limits.MAX_USERNAME_CHARS) {
    throw new LnmpError('invalid_username', `username must be 1-${Limits.MAX_USERNAME_CHARS} characters`);
  }
  if (!USERNAME_RE.test(u) || u.includes('..')) {
    throw new LnmpError('invalid_username', 'username may contain a-z, 0-9, ".", "_" and "-", must start and end with a letter or digit, and may not contain ".."');
  }
  return u;
}

export function normalizeHost(host: unknown): string {
  if (typeof host !== 'string') throw new LnmpError('invalid_type', 'host must be a string');
  const h = host.toLowerCase();
  if (h.length === 0 || h.length > Limits.MAX_HOST_CHARS) throw new LnmpError('invalid_host', `host must be 1-${Limits.MAX_HOST_CHARS} characters`);
  if (!h.split('.').every((label) => LABEL_RE.test(label))) {
    throw new LnmpError('invalid_host', `"${host}" is not a DNS host name`);
  }
  return h;
}

/** The checksum of `username` under `publicKeyHex` (x-only, any case; hashed as lowercase). */
export function computeChecksum(publicKeyHex: string, username: string): string {
  const pk = parsePublicKey(publicKeyHex);
  const u = normalizeUsername(username);
  const pkHex = Buffer.from(pk).toString('hex');
  return base58.encode(sha256(utf8(pkHex + u))).slice(0, CHECKSUM_LENGTH);
}

export function makeAddress(publicKeyHex: string, username: string, host?: string): LnmpAddress {
  const u = normalizeUsername(username);
  const checksum = computeChecksum(publicKeyHex, u);
  return host === undefined ? { username: u, checksum } : { username: u, checksum, host: normalizeHost(host) };
}

export function formatAddress(addr: LnmpAddress): string {
  return `${addr.username}#${addr.checksum}${addr.host === undefined ? '' : `@${addr.host}`}`;
}

/**
 * Parses `username#checksum[@host]`. Case is folded in username and host; the checksum keeps
 * its case as written but may be in any case (see {@link checksumMatches}).
 */
export function parseAddress(input: unknown): LnmpAddress {
  if (typeof input !== 'string') throw new LnmpError('invalid_type', 'address must be a string');
  if (input.length > Limits.MAX_USERNAME_CHARS + 1 + CHECKSUM_LENGTH + 1 + Limits.MAX_HOST_CHARS) {
    throw new LnmpError('invalid_address', 'address is too long');
  }
  const at = input.lastIndexOf('@');
  const local = at === -1 ? input : input.slice(0, at);
  const hash = local.indexOf('#');
  if (hash === -1 || local.indexOf('#', hash + 1) !== -1) {
    throw new LnmpError('invalid_address', 'expected exactly one "#" between username and checksum');
  }
  const username = normalizeUsername(local.slice(0, hash));
  const checksum = local.slice(hash + 1);
  if (!CHECKSUM_RE.test(checksum)) {
    throw new LnmpError('invalid_address', `checksum must be ${CHECKSUM_LENGTH} base58 characters`);
  }
  if (at === -1) return { username, checksum };
  return { username, checksum, host: normalizeHost(input.slice(at + 1)) };
}

export function isLnmpAddress(input: unknown): boolean {
  try {
    parseAddress(input);
    return true;
  } catch {
    return false;
  }
}

/** Case-insensitive checksum comparison (mail systems may upper- or lowercase local parts). */
export function checksumMatches(addr: LnmpAddress, publicKeyHex: string): boolean {
  return computeChecksum(publicKeyHex, addr.username).toLowerCase() === addr.checksum.toLowerCase();
}

/** Throws checksum_mismatch unless the address belongs to the key. */
export function verifyAddress(address: string | LnmpAddress, publicKeyHex: string): LnmpAddress {
  const addr = typeof address === 'string' ? parseAddress(address) : address;
  if (!checksumMatches(addr, publicKeyHex)) {
    throw new LnmpError('checksum_mismatch', `checksum ${addr.checksum} does not belong to this key and username`);
  }
  return addr;
}

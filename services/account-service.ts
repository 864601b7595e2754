// Domains, users and their keys. A user's secret (LNMP identity key, mailbox key, mnemonic)
// is stored only wrapped: once per credential (account password, app passwords), each under
// a key derived from that password with scrypt. Login unwraps it into an UnlockedAccount.
import { scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import {
  fromHex, fromUtf8, formatAddress, hkdfSha256, identityFromMnemonic, isLnmpError, makeAddress, newIdentity, normalizeHost, normalizeUsername,
  normalizeMnemonic, parseAddress, toHex, utf8, type Rng,
} from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { userIdentityDocument } from './user-document.js';
import { ServiceError } from './errors.js';
import { boxOpen, boxSeal } from './secret-box.js';
import { DEFAULT_MAILBOXES, mailboxNameHash, sealMailboxName } from './mailbox-names.js';
import { DEFAULT_SESSION_TTL_MS, UnlockedAccount, type AccountInfo } from './unlocked-account.js';
import { checkTokenName, isTokenFormat, newToken, tokenKeys, type CreatedToken, type TokenSummary } from './token-service.js';
import { base32 } from '@scure/base';

export type ScryptFn = (pw: string | Uint8Array, salt: Uint8Array, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const nodeScrypt = promisify(scryptCb) as ScryptFn;

export interface KdfParams {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

/** scrypt N=2^15, r=8, p=1: ~150 ms and 32 MiB on this machine (docs/performance.md). */
export const DEFAULT_KDF = { N: 32768, r: 8, p: 1 } as const;
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 1024;
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
const APP_PASSWORD_RE = /^app-(\d{1,15})-([a-z2-7]{26})$/;

export interface AccountServiceOptions {
  rng: Rng;
  now?: () => number;
  kdf?: { N: number; r: number; p: number };
  sessionTtlMs?: number;
  /** The KDF; injectable so tests can count derivations. Defaults to node:crypto scrypt. */
  scrypt?: ScryptFn;
}

interface UserSecret {
  privateKey: Uint8Array;
  mailboxKey: Uint8Array;
  mnemonic: string | undefined;
}

interface UserRow {
  id: number;
  address: string;
  lnmp_address: string;
  public_key: string;
  status: string;
}

export interface UserSummary extends AccountInfo {
  readonly status: string;
  readonly createdAt: string;
}

export class AccountService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #now: () => number;
  readonly #kdf: { N: number; r: number; p: number };
  readonly #ttl: number;
  readonly #scrypt: ScryptFn;

  constructor(db: Db, opts: AccountServiceOptions) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#now = opts.now ?? Date.now;
    this.#kdf = opts.kdf ?? DEFAULT_KDF;
    this.#ttl = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.#scrypt = opts.scrypt ?? nodeScrypt;
  }

  async addDomain(name: string): Promise<{ id: number; name: string }> {
    const domain = hostOrThrow(name);
    const rows = await this.#db.query<{ id: number }>('INSERT INTO domains (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [domain]);
    if (rows.length === 0) throw new ServiceError('domain_exists', `${domain} is already hosted`);
    return { id: rows[0]!.id, name: domain };
  }

  /** Hosts `name` unless it already is (safe when several nodes start at once); true when this call added it. */
  async ensureDomain(name: string): Promise<boolean> {
    const domain = hostOrThrow(name);
    const rows = await this.#db.query('INSERT INTO domains (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id', [domain]);
    return rows.length > 0;
  }

  /** Whether mail for `domain` is ours (case-insensitive); one lookup on the unique index. */
  async isHostedDomain(domain: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM domains WHERE name = $1', [domain.trim().toLowerCase()]);
    return rows.length > 0;
  }

  async listDomains(): Promise<Array<{ id: number; name: string }>> {
    return this.#db.query('SELECT id, name FROM domains ORDER BY name');
  }

  /**
   * Creates a user on a hosted domain with a new LNMP identity, or the one of `mnemonic`.
   * Creates the default mailboxes. Returns the LNMP address and public key.
   */
  async createUser(input: { address: string; password: string; mnemonic?: string; passphrase?: string }): Promise<AccountInfo & { mnemonic?: string }> {
    const { username, domain } = splitAddress(input.address);
    checkPasswordPolicy(input.password);
    let identity: { privateKey: Uint8Array; publicKey: string; mnemonic: string };
    try {
      identity = input.mnemonic !== undefined
        ? { ...identityFromMnemonic(input.mnemonic, input.passphrase ?? ''), mnemonic: normalizeMnemonic(input.mnemonic) }
        : newIdentity(this.#rng, input.passphrase ?? '');
    } catch (err) {
      if (isLnmpError(err)) throw new ServiceError('invalid_mnemonic', `not a valid mnemonic: ${err.message.replace(/^[a-z_]+: /, '')}`, { cause: err });
      throw err;
    }
    const secret: UserSecret = { privateKey: identity.privateKey, mailboxKey: this.#rng(32), mnemonic: identity.mnemonic };
    const address = `${username}@${domain}`;
    const lnmpAddress = formatAddress(makeAddress(identity.publicKey, username, domain));
    const credential = await this.#newCredentialKeys(input.password);
    const created = await this.#db.transaction(async (tx) => {
      const d = await tx.query<{ id: number }>('SELECT id FROM domains WHERE name = $1', [domain]);
      if (d.length === 0) throw new ServiceError('domain_not_hosted', `${domain} is not hosted here`);
      const taken = await tx.query('SELECT 1 FROM users WHERE address = $1 OR public_key = $2 UNION ALL SELECT 1 FROM aliases WHERE address = $1', [address, identity.publicKey]);
      if (taken.length > 0) throw new ServiceError('user_exists', `${address} or its key is already in use`);
      const [u] = await tx.query<{ id: number }>(
        'INSERT INTO users (domain_id, username, address, lnmp_address, public_key, identity_document) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id',
        [d[0]!.id, username, address, lnmpAddress.toLowerCase(), identity.publicKey, JSON.stringify(userIdentityDocument(identity.privateKey, lnmpAddress, Date.now(), this.#rng))],
      );
      const userId = u!.id;
      await this.#insertCredential(tx, userId, 'password', null, credential, secret);
      for (const mb of DEFAULT_MAILBOXES) {
        await tx.query('INSERT INTO mailboxes (user_id, name_hash, name_sealed, role) VALUES ($1, $2, $3, $4)', [
          userId, mailboxNameHash(secret.mailboxKey, mb.name), sealMailboxName(secret.mailboxKey, userId, mb.name, this.#rng), mb.role,
        ]);
      }
      return userId;
    });
    secret.privateKey.fill(0);
    secret.mailboxKey.fill(0);
    return { userId: created, address, lnmpAddress, publicKey: identity.publicKey, ...(input.mnemonic === undefined ? { mnemonic: identity.mnemonic } : {}) };
  }

  /** Adds another address on a hosted domain that delivers to the user. */
  async addAlias(userId: number, alias: string): Promise<string> {
    const { username, domain } = splitAddress(alias);
    const address = `${username}@${domain}`;
    await this.#db.transaction(async (tx) => {
      const d = await tx.query('SELECT 1 FROM domains WHERE name = $1', [domain]);
      if (d.length === 0) throw new ServiceError('domain_not_hosted', `${domain} is not hosted here`);
      const u = await tx.query("SELECT 1 FROM users WHERE id = $1 AND status = 'active'", [userId]);
      if (u.length === 0) throw new ServiceError('user_not_found');
      const taken = await tx.query('SELECT 1 FROM users WHERE address = $1 UNION ALL SELECT 1 FROM aliases WHERE address = $1', [address]);
      if (taken.length > 0) throw new ServiceError('user_exists', `${address} is already in use`);
      await tx.query('INSERT INTO aliases (address, user_id) VALUES ($1, $2)', [address, userId]);
    });
    return address;
  }

  async listUsers(): Promise<UserSummary[]> {
    const rows = await this.#db.query<UserRow & { created_at: Date }>('SELECT id, address, lnmp_address, public_key, status, created_at FROM users ORDER BY address');
    return rows.map((r) => ({ ...info(r), status: r.status, createdAt: new Date(r.created_at).toISOString() }));
  }

  /** Finds the user an address delivers to: primary address, alias or LNMP address (checksum in any case). */
  async resolveAddress(address: string): Promise<AccountInfo | undefined> {
    const a = address.trim().toLowerCase();
    const rows = await this.#db.query<UserRow>(
      `SELECT u.id, u.address, u.lnmp_address, u.public_key, u.status FROM users u
        WHERE u.address = $1 OR u.lnmp_address = $1
       UNION ALL
       SELECT u.id, u.address, u.lnmp_address, u.public_key, u.status FROM aliases al JOIN users u ON u.id = al.user_id
        WHERE al.address = $1
       LIMIT 1`,
      [a],
    );
    const r = rows[0];
    return r && r.status === 'active' ? info(r) : undefined;
  }

  /**
   * Checks a password or app password and unwraps the user's keys. Unknown users, disabled
   * users and wrong passwords fail alike (`auth_failed`) after the same scrypt work.
   */
  async authenticate(address: string, password: string): Promise<UnlockedAccount> {
    // A token works as an app password for the user it belongs to.
    if (isTokenFormat(password)) return this.#unlockToken(password, typeof address === 'string' ? address : '');
    const { user, secret } = await this.#unlock(address, password);
    return new UnlockedAccount(info(user), { privateKey: secret.privateKey, mailboxKey: secret.mailboxKey }, this.#ttl, this.#now());
  }

  /** The one password check: one scrypt, the unwrapped secret on success. */
  async #unlock(address: string, password: string): Promise<{ user: UserRow; secret: UserSecret }> {
    const user = typeof address === 'string' && typeof password === 'string' ? await this.#findForLogin(address) : undefined;
    const app = typeof password === 'string' ? APP_PASSWORD_RE.exec(password) : null;
    // The same queries and one key derivation run whether or not the user exists.
    const creds = await this.#db.query<CredentialRow>(
      app ? "SELECT id, kdf, verifier, wrapped FROM credentials WHERE user_id = $1 AND kind = 'app_password' AND id = $2" : "SELECT id, kdf, verifier, wrapped FROM credentials WHERE user_id = $1 AND kind = 'password'",
      app ? [user?.id ?? 0, Number(app[1])] : [user?.id ?? 0],
    );
    const cred = creds[0];
    // Without a credential, derive from a dummy one so the failure costs the same time.
    const kdf = cred ? (cred.kdf as KdfParams) : { alg: 'scrypt' as const, ...this.#kdf, salt: '00'.repeat(16) };
    const keys = await this.#deriveKeys(String(password ?? ''), kdf);
    const ok = cred !== undefined && user !== undefined && user.status === 'active' && timingSafeEqual(keys.verifier, cred.verifier);
    if (!ok || !user || !cred) throw new ServiceError('auth_failed');
    const secret = decodeSecret(boxOpen(keys.wrapKey, cred.wrapped, credentialContext(user.id)));
    await this.#db.query('UPDATE credentials SET last_used_at = now() WHERE id = $1', [cred.id]);
    return { user, secret };
  }

  /** Re-wraps the user's secret under a new password; app passwords stay valid. */
  async changePassword(address: string, oldPassword: string, newPassword: string): Promise<void> {
    checkPasswordPolicy(newPassword);
    const { secret, userId } = await this.#unwrapWithPassword(address, oldPassword);
    const wrapped = await this.#newCredentialKeys(newPassword);
    await this.#db.query("UPDATE credentials SET kdf = $2, verifier = $3, wrapped = $4 WHERE user_id = $1 AND kind = 'password'", [
      userId, wrapped.kdf, wrapped.verifier, boxSeal(wrapped.wrapKey, encodeSecret(secret), credentialContext(userId), this.#rng),
    ]);
    zero(secret);
  }

  /** The mnemonic of the user's identity; needs the account password (not an app password). */
  async exportMnemonic(address: string, password: string): Promise<string> {
    const { secret } = await this.#unwrapWithPassword(address, password);
    zero(secret);
    if (!secret.mnemonic) throw new ServiceError('user_not_found', 'this identity was not created from a mnemonic');
    return secret.mnemonic;
  }

  /** Creates an app password wrapping the same keys; returns it once (it is not stored). */
  async addAppPassword(account: UnlockedAccount, label: string): Promise<string> {
    const secret: UserSecret = { privateKey: account.privateKey.slice(), mailboxKey: account.mailboxKey.slice(), mnemonic: undefined };
    const [row] = await this.#db.query<{ id: number }>("SELECT nextval(pg_get_serial_sequence('credentials', 'id'))::int8 AS id");
    const password = `app-${row!.id}-${base32.encode(this.#rng(16)).replace(/=+$/, '').toLowerCase()}`;
    const wrapped = await this.#newCredentialKeys(password);
    await this.#db.transaction((tx) => this.#insertCredential(tx, account.userId, 'app_password', label, wrapped, secret, row!.id));
    zero(secret);
    return password;
  }

  /** A bearer token (JMAP): unwraps the keys of the user it belongs to; `auth_failed` otherwise. */
  async authenticateToken(token: string): Promise<UnlockedAccount> {
    return this.#unlockToken(token, undefined);
  }

  /** Whether a token still exists for an active user (one indexed query; revocation takes effect at once). */
  async tokenActive(token: string): Promise<boolean> {
    if (!isTokenFormat(token)) return false;
    const rows = await this.#db.query(
      "SELECT 1 FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.kind = 'token' AND c.verifier = $1 AND u.status = 'active'",
      [tokenKeys(token).lookup],
    );
    return rows.length > 0;
  }

  /**
   * Creates a token wrapping the user's keys (not the mnemonic: a token cannot export the
   * identity); needs the account password. The token is returned once and not stored.
   */
  async createToken(address: string, password: string, name?: string): Promise<CreatedToken> {
    if (name !== undefined) checkTokenName(name);
    const { secret, user } = await this.#unwrapWithPassword(address, password);
    const token = newToken(this.#rng);
    const { lookup, wrapKey } = tokenKeys(token);
    try {
      const wrapped = boxSeal(wrapKey, encodeSecret({ ...secret, mnemonic: undefined }), credentialContext(user.id), this.#rng);
      const created = await this.#db.transaction(async (tx) => {
        const [row] = await tx.query<{ id: number }>("SELECT nextval(pg_get_serial_sequence('credentials', 'id'))::int8 AS id");
        const label = name ?? `token-${row!.id}`;
        const taken = await tx.query("SELECT 1 FROM credentials WHERE user_id = $1 AND kind = 'token' AND label = $2", [user.id, label]);
        if (taken.length > 0) throw new ServiceError('token_exists', `${user.address} already has a token named ${label}`);
        const [c] = await tx.query<{ created_at: Date }>(
          `INSERT INTO credentials (id, user_id, kind, label, kdf, verifier, wrapped) VALUES ($1, $2, 'token', $3, $4, $5, $6) RETURNING created_at`,
          [row!.id, user.id, label, { alg: 'hkdf-sha256' }, lookup, wrapped],
        );
        return { name: label, createdAt: new Date(c!.created_at).toISOString() };
      });
      return { name: created.name, token, createdAt: created.createdAt };
    } finally {
      wrapKey.fill(0);
      zero(secret);
    }
  }

  /** The user's tokens by creation: names and times, never a token. */
  async listTokens(address: string): Promise<TokenSummary[]> {
    const user = await this.#existingUser(address);
    const rows = await this.#db.query<{ label: string; created_at: Date; last_used_at: Date | null }>(
      "SELECT label, created_at, last_used_at FROM credentials WHERE user_id = $1 AND kind = 'token' ORDER BY created_at, id",
      [user.id],
    );
    return rows.map((r) => ({ name: r.label, createdAt: new Date(r.created_at).toISOString(), lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString() }));
  }

  /** Deletes a token: bearer requests and logins with it fail from now on. */
  async revokeToken(address: string, name: string): Promise<void> {
    const user = await this.#existingUser(address);
    const rows = await this.#db.query("DELETE FROM credentials WHERE user_id = $1 AND kind = 'token' AND label = $2 RETURNING id", [user.id, name]);
    if (rows.length === 0) throw new ServiceError('token_not_found', `${user.address} has no token named ${name}`);
  }

  /**
   * Deletes a user and everything stored for them: credentials, aliases, mailboxes, messages,
   * blobs, threads, the journal, contacts, postage (every table keyed by user_id cascades) and
   * their outbound mail, queued or finished (the queue keeps rows of deleted users otherwise).
   * The address is free afterwards.
   */
  async deleteUser(address: string): Promise<{ address: string; messages: number }> {
    const user = await this.#existingUser(address);
    return this.#db.transaction(async (tx) => {
      const [m] = await tx.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages WHERE user_id = $1', [user.id]);
      await tx.query('DELETE FROM outbound WHERE user_id = $1 OR message_id IN (SELECT id FROM outbound_messages WHERE user_id = $1)', [user.id]);
      await tx.query('DELETE FROM outbound_messages WHERE user_id = $1', [user.id]);
      const gone = await tx.query('DELETE FROM users WHERE id = $1 RETURNING id', [user.id]);
      if (gone.length === 0) throw new ServiceError('user_not_found', `no user ${user.address}`);
      return { address: user.address, messages: m?.n ?? 0 };
    });
  }

  /**
   * The identity's recovery form: its mnemonic, or for an identity without one the private key
   * in hex. Needs the account password (not an app password or token).
   */
  async exportKey(address: string, password: string): Promise<{ address: string; publicKey: string; mnemonic?: string; privateKey?: string }> {
    const { secret, user } = await this.#unwrapWithPassword(address, password);
    try {
      const base = { address: user.address, publicKey: user.public_key };
      return secret.mnemonic ? { ...base, mnemonic: secret.mnemonic } : { ...base, privateKey: toHex(secret.privateKey) };
    } finally {
      zero(secret);
    }
  }

  /** A token login: HKDF and one indexed query, no scrypt (the token is high-entropy). */
  async #unlockToken(token: string, address: string | undefined): Promise<UnlockedAccount> {
    if (!isTokenFormat(token)) throw new ServiceError('auth_failed');
    const { lookup, wrapKey } = tokenKeys(token);
    try {
      const rows = await this.#db.query<UserRow & { credential_id: number; wrapped: Uint8Array }>(
        `SELECT u.id, u.address, u.lnmp_address, u.public_key, u.status, c.id AS credential_id, c.wrapped
           FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.kind = 'token' AND c.verifier = $1`,
        [lookup],
      );
      const r = rows[0];
      const named = address?.trim().toLowerCase();
      if (!r || r.status !== 'active' || (named !== undefined && named !== r.address && named !== r.lnmp_address)) throw new ServiceError('auth_failed');
      const secret = decodeSecret(boxOpen(wrapKey, r.wrapped, credentialContext(r.id)));
      await this.#db.query('UPDATE credentials SET last_used_at = now() WHERE id = $1', [r.credential_id]);
      return new UnlockedAccount(info(r), { privateKey: secret.privateKey, mailboxKey: secret.mailboxKey }, this.#ttl, this.#now());
    } finally {
      wrapKey.fill(0);
    }
  }

  /** A user by primary address, or `user_not_found`. */
  async #existingUser(address: string): Promise<UserRow> {
    const { username, domain } = splitAddress(address);
    const canonical = `${username}@${domain}`;
    const rows = await this.#db.query<UserRow>('SELECT id, address, lnmp_address, public_key, status FROM users WHERE address = $1', [canonical]);
    if (rows.length === 0) throw new ServiceError('user_not_found', `no user ${canonical}`);
    return rows[0]!;
  }

  async #findForLogin(address: string): Promise<UserRow | undefined> {
    const a = address.trim().toLowerCase();
    const rows = await this.#db.query<UserRow>('SELECT id, address, lnmp_address, public_key, status FROM users WHERE address = $1 OR lnmp_address = $1', [a]);
    return rows[0];
  }

  async #unwrapWithPassword(address: string, password: string): Promise<{ secret: UserSecret; userId: number; user: UserRow }> {
    const { user, secret } = await this.#unlock(address, password);
    if (APP_PASSWORD_RE.test(password)) {
      zero(secret);
      throw new ServiceError('auth_failed', 'the account password is required');
    }
    return { secret, userId: user.id, user };
  }

  async #deriveKeys(password: string, kdf: KdfParams): Promise<{ verifier: Uint8Array; wrapKey: Uint8Array }> {
    const master = await this.#scrypt(password.normalize('NFC'), fromHex(kdf.salt, 16), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: SCRYPT_MAXMEM });
    const m = new Uint8Array(master);
    const keys = {
      verifier: hkdfSha256(m, new Uint8Array(0), utf8('lnmp-gateway/v1/password-verifier'), 32),
      wrapKey: hkdfSha256(m, new Uint8Array(0), utf8('lnmp-gateway/v1/secret-wrap'), 32),
    };
    m.fill(0);
    master.fill(0);
    return keys;
  }

  async #newCredentialKeys(password: string): Promise<{ kdf: KdfParams; verifier: Uint8Array; wrapKey: Uint8Array }> {
    const kdf: KdfParams = { alg: 'scrypt', ...this.#kdf, salt: toHex(this.#rng(16)) };
    const keys = await this.#deriveKeys(password, kdf);
    return { kdf, ...keys };
  }

  async #insertCredential(
    tx: Queryable, userId: number, kind: 'password' | 'app_password', label: string | null,
    w: { kdf: KdfParams; verifier: Uint8Array; wrapKey: Uint8Array }, secret: UserSecret, id?: number,
  ): Promise<void> {
    const wrapped = boxSeal(w.wrapKey, encodeSecret(secret), credentialContext(userId), this.#rng);
    await tx.query(
      `INSERT INTO credentials (${id === undefined ? '' : 'id, '}user_id, kind, label, kdf, verifier, wrapped) VALUES (${id === undefined ? '' : '$7, '}$1, $2, $3, $4, $5, $6)`,
      id === undefined ? [userId, kind, label, w.kdf, w.verifier, wrapped] : [userId, kind, label, w.kdf, w.verifier, wrapped, id],
    );
  }
}

interface CredentialRow {
  id: number;
  kdf: unknown;
  verifier: Uint8Array;
  wrapped: Uint8Array;
}

function credentialContext(userId: number): string {
  return `credential:${userId}`;
}

function encodeSecret(s: UserSecret): Uint8Array {
  return utf8(JSON.stringify({ v: 1, sk: toHex(s.privateKey), mk: toHex(s.mailboxKey), ...(s.mnemonic ? { mn: s.mnemonic } : {}) }));
}

function decodeSecret(bytes: Uint8Array): UserSecret {
  const j = JSON.parse(fromUtf8(bytes)) as { v: number; sk: string; mk: string; mn?: string };
  bytes.fill(0);
  if (j.v !== 1) throw new ServiceError('integrity', 'unknown secret format');
  return { privateKey: fromHex(j.sk, 32), mailboxKey: fromHex(j.mk, 32), mnemonic: j.mn };
}

function zero(s: UserSecret): void {
  s.privateKey.fill(0);
  s.mailboxKey.fill(0);
}

function info(r: UserRow): AccountInfo {
  // The stored LNMP address has its checksum lowercased for matching; show the canonical one.
  const parsed = parseAddress(r.lnmp_address);
  return { userId: r.id, address: r.address, lnmpAddress: formatAddress(makeAddress(r.public_key, parsed.username, parsed.host)), publicKey: r.public_key };
}

function hostOrThrow(name: string): string {
  try {
    return normalizeHost(name);
  } catch (cause) {
    throw new ServiceError('invalid_address', `"${name}" is not a domain name`, { cause });
  }
}

export function splitAddress(address: string): { username: string; domain: string } {
  const at = typeof address === 'string' ? address.lastIndexOf('@') : -1;
  if (at <= 0) throw new ServiceError('invalid_address', `"${address}" is not of the form user@domain`);
  let username: string;
  try {
    username = normalizeUsername(address.slice(0, at));
  } catch (cause) {
    throw new ServiceError('invalid_address', `"${address}": ${(cause as Error).message.replace(/^invalid_username: /, '')}`, { cause });
  }
  return { username, domain: hostOrThrow(address.slice(at + 1)) };
}

function checkPasswordPolicy(password: string): void {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_CHARS || password.length > MAX_PASSWORD_CHARS) {
    throw new ServiceError('invalid_password', `passwords have ${MIN_PASSWORD_CHARS}-${MAX_PASSWORD_CHARS} characters`);
  }
}

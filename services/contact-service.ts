// A user's correspondents and how well the user knows them: friends (anyone the user wrote
// to, replied to or approved), acquaintances (a paid or approved exchange) and blocked
// senders. Addresses are stored only as keyed hashes (HMAC under a key derived from the
// gateway secret, bound to the user), so the table does not reveal who writes to whom, yet
// the MX can look a sender up while the user is away.
import type { Db, Queryable } from '../storage/db.js';
import { gatewaySubkey } from './gateway-keys.js';
import { NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import { keyedHash } from './secret-box.js';

export type ContactClass = 'friend' | 'acquaintance' | 'blocked';

export class ContactService {
  readonly #db: Db;
  readonly #key: Uint8Array;
  readonly #sink: ChangeSink;

  /**
   * `notifier` hears a `postage` event after each change made here outside a caller's
   * transaction (JMAP push of Contact); a caller passing its own transaction announces the
   * change after its commit.
   */
  constructor(db: Db, opts: { gatewaySecret: Uint8Array; notifier?: ChangeSink }) {
    this.#db = db;
    this.#key = gatewaySubkey(opts.gatewaySecret, 'contacts');
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
  }

  #changed(userId: number): Promise<void> {
    return this.#sink.publish({ userId, modseq: 0, kind: 'postage' });
  }

  /** After the commit of a caller's transaction that changed the user's contacts here: push hears of it. */
  announce(userId: number): Promise<void> {
    return this.#changed(userId);
  }

  #hash(userId: number, address: string): Uint8Array {
    return keyedHash(this.#key, `${userId}\n${normaliseAddress(address)}`);
  }

  /** How the user knows `address`, or undefined for a stranger. */
  async classify(userId: number, address: string): Promise<ContactClass | undefined> {
    const [row] = await this.#db.query<{ class: ContactClass }>('SELECT class FROM contacts WHERE user_id = $1 AND address_hash = $2', [userId, this.#hash(userId, address)]);
    return row?.class;
  }

  /**
   * Makes every address a friend of the user (they wrote to them), in `q` when given so it
   * commits with what caused it. A blocked address stays blocked: only the user unblocks.
   */
  async addFriends(userId: number, addresses: readonly string[], q: Queryable = this.#db): Promise<void> {
    const hashes = [...new Set(addresses.map(normaliseAddress))].map((a) => this.#hash(userId, a));
    if (hashes.length === 0) return;
    await q.query(
      `INSERT INTO contacts (user_id, address_hash, class) SELECT $1, h, 'friend' FROM unnest($2::bytea[]) AS h
       ON CONFLICT (user_id, address_hash) DO UPDATE SET class = 'friend' WHERE contacts.class = 'acquaintance'`,
      [userId, hashes],
    );
    if (q === this.#db) await this.#changed(userId);
  }

  /** A paid exchange makes a stranger an acquaintance; a friend or blocked address stays as it is. */
  async addAcquaintance(userId: number, address: string, q: Queryable = this.#db): Promise<void> {
    await q.query(
      "INSERT INTO contacts (user_id, address_hash, class) VALUES ($1, $2, 'acquaintance') ON CONFLICT (user_id, address_hash) DO NOTHING",
      [userId, this.#hash(userId, address)],
    );
    if (q === this.#db) await this.#changed(userId);
  }

  /** Sets how the user knows `address` (the user's own choice, e.g. from the CLI): any class, or none. */
  async set(userId: number, address: string, cls: ContactClass | undefined, q: Queryable = this.#db): Promise<void> {
    const hash = this.#hash(userId, address);
    if (cls === undefined) await q.query('DELETE FROM contacts WHERE user_id = $1 AND address_hash = $2', [userId, hash]);
    else {
      await q.query(
        'INSERT INTO contacts (user_id, address_hash, class) VALUES ($1, $2, $3) ON CONFLICT (user_id, address_hash) DO UPDATE SET class = EXCLUDED.class, since = now()',
        [userId, hash, cls],
      );
    }
    if (q === this.#db) await this.#changed(userId);
  }

  /** The keyed hash the user's contact for `address` is stored under (JMAP makes its Contact id of it). */
  hashOf(userId: number, address: string): Uint8Array {
    return this.#hash(userId, address);
  }

  /** Adds a contact for `address` unless the user has one already (false then). */
  async add(userId: number, address: string, cls: ContactClass): Promise<boolean> {
    const rows = await this.#db.query(
      'INSERT INTO contacts (user_id, address_hash, class) VALUES ($1, $2, $3) ON CONFLICT (user_id, address_hash) DO NOTHING RETURNING user_id',
      [userId, this.#hash(userId, address), cls],
    );
    if (rows.length === 0) return false;
    await this.#changed(userId);
    return true;
  }

  /** The classes of the user's contacts stored under these hashes, by hex hash (absent ones left out). */
  async classesOf(userId: number, hashes: readonly Uint8Array[]): Promise<Map<string, ContactClass>> {
    if (hashes.length === 0) return new Map();
    const rows = await this.#db.query<{ address_hash: Uint8Array; class: ContactClass }>(
      'SELECT address_hash, class FROM contacts WHERE user_id = $1 AND address_hash = ANY($2::bytea[])',
      [userId, hashes.map((h) => Buffer.from(h))],
    );
    return new Map(rows.map((r) => [Buffer.from(r.address_hash).toString('hex'), r.class]));
  }

  /** Changes the class of (or, with undefined, removes) the user's contact stored under `hash`; false when there is none. */
  async setByHash(userId: number, hash: Uint8Array, cls: ContactClass | undefined): Promise<boolean> {
    const rows = cls === undefined
      ? await this.#db.query('DELETE FROM contacts WHERE user_id = $1 AND address_hash = $2 RETURNING user_id', [userId, hash])
      : await this.#db.query('UPDATE contacts SET class = $3, since = now() WHERE user_id = $1 AND address_hash = $2 RETURNING user_id', [userId, hash, cls]);
    if (rows.length === 0) return false;
    await this.#changed(userId);
    return true;
  }

  /** A short value that changes whenever any of the user's contacts does, and says nothing about them (JMAP state). */
  async version(userId: number): Promise<string> {
    const [row] = await this.#db.query<{ v: string | null }>(
      "SELECT md5(string_agg(encode(address_hash, 'hex') || class, ',' ORDER BY address_hash)) AS v FROM contacts WHERE user_id = $1",
      [userId],
    );
    return (row?.v ?? 'none').slice(0, 16);
  }

  async counts(userId: number): Promise<ContactCounts> {
    const rows = await this.#db.query<{ class: ContactClass; n: number | string }>('SELECT class, count(*) AS n FROM contacts WHERE user_id = $1 GROUP BY class', [userId]);
    const counts: ContactCounts = { friend: 0, acquaintance: 0, blocked: 0 };
    for (const r of rows) counts[r.class] = Number(r.n);
    return counts;
  }
}

/** How many contacts of each class a user has (addresses are hashed; they cannot be listed). */
export type ContactCounts = Record<ContactClass, number>;

/**
 * The contact entry of an LNMP identity known by its key (an envelope's signer): hashed like
 * an address, and unlike any address (no `@`).
 */
export function keyContact(publicKey: string): string {
  return `lnmp-key:${publicKey.toLowerCase()}`;
}

/** Addresses compare case-insensitively, as every mail system in practice treats them. */
export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

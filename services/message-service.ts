// Messages of the sealed mailbox, with IMAP and JMAP semantics: delivery (public key only),
// re-wrap at unlock, fetch, append, flags with modseq and UNCHANGEDSINCE, copy, move,
// expunge, the change journal, threads and search. Contents are encrypted; UIDs, modseqs,
// flags, sizes, dates, mailbox membership and thread ids are in clear.
import { utf8, type Rng, type VerifiedMessage } from '../core/index.js';
import type { Db, Queryable } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { journalRemoval, nextModseq, removalModseq, NO_NOTIFICATIONS, type ChangeEvent, type ChangeSink, type RemovedMessage } from './journal.js';
import type { MailboxRole } from './mailbox-names.js';
import { signMissingDocument } from './user-document.js';
import { DeliverySealer, openBlob, openSummary, sealSummary, sealWithMailboxKey, SEAL_ENVELOPE, SEAL_MAILBOX_KEY, SEAL_RECEIVED, SEAL_TO_PUBLIC_KEY } from './message-crypto.js';
import { summarize, type MessageSummary } from '../converters/message-summary.js';
import type { UnlockedAccount } from './unlocked-account.js';
import { DeliveryBatcher } from './delivery-batcher.js';
import { assignThreads, insertThreadKeysSql, planThreads, threadKeysOf } from './threading.js';
import { matches, SEARCH_CACHE_MAX_CHARS, SearchDocCache, toSearchDoc, type SearchCriterion, type SearchDoc } from './message-search.js';
import { materialiseImports } from './import-staging.js';

/** Largest message accepted (RFC 5321 size limits are enforced again by the SMTP front-end). */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
/** Recipients whose public key a MessageService remembers. */
export const PUBLIC_KEY_CACHE_SIZE = 100_000;
/** Blobs re-wrapped per transaction at unlock. */
export const REWRAP_BATCH = 200;
/** Messages of a mailbox one search step decrypts (or takes from the cache) and matches. */
export const SEARCH_CHUNK = 2_000;
const FLAG_RE = /^\\?[!#-'*+\-.0-9A-Z^-z|~]{1,64}$/;

export interface MessageMeta {
  id: number;
  mailboxId: number;
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  threadId: number;
}

export interface FetchedMessage extends MessageMeta {
  raw: Uint8Array;
}

export interface Change {
  modseq: number;
  kind: 'email' | 'mailbox';
  op: 'created' | 'updated' | 'destroyed';
  objectId: number;
  mailboxId: number | null;
  uid: number | null;
}

/** A message row with the blob it holds: JMAP's Email is the blob, in every mailbox holding it. */
export interface EmailRow extends MessageMeta {
  blobId: number;
  createdModseq: number;
}

/** The journal row of a message removed since a state: its blob and when its row was created (null for rows journaled before migration 011). */
export interface EmailJournalRow {
  modseq: number;
  blobId: number | null;
  createdModseq: number | null;
  /** The mailbox the removed row was in. */
  mailboxId: number | null;
}

interface MetaRow {
  id: number;
  mailbox_id: number;
  uid: number;
  modseq: number;
  flags: string;
  internal_ms: number;
  size: number;
  thread_id: number;
}

/**
 * Metadata columns. Flags come back space-joined (a flag cannot contain a space) and the date
 * as epoch milliseconds: parsing text[] and timestamptz values dominated listing 100k rows.
 */
function metaColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}id, ${a}mailbox_id, ${a}uid, ${a}modseq, array_to_string(${a}flags, ' ') AS flags, (extract(epoch FROM ${a}internal_date) * 1000)::int8 AS internal_ms, ${a}size, ${a}thread_id`;
}
const META_COLUMNS = metaColumns();

function meta(r: MetaRow): MessageMeta {
  return { id: r.id, mailboxId: r.mailbox_id, uid: r.uid, modseq: r.modseq, flags: r.flags === '' ? [] : r.flags.split(' '), internalDate: new Date(r.internal_ms), size: r.size, threadId: r.thread_id };
}

export function checkFlags(flags: readonly string[]): string[] {
  for (const f of flags) {
    if (typeof f !== 'string' || !FLAG_RE.test(f)) throw new ServiceError('invalid_mailbox_name', `"${String(f)}" is not a valid flag or keyword`);
  }
  return [...new Set(flags)].sort();
}

export class MessageService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #sink: ChangeSink;
  readonly #now: () => number;
  /** Decrypted search documents per unlocked session, within a budget each; gone with the session. */
  readonly #searchCache = new WeakMap<UnlockedAccount, SearchDocCache>();
  readonly #searchCacheChars: number;
  readonly #sealer: DeliverySealer;
  readonly #publicKeys = new Map<number, string>();
  readonly #batcher: DeliveryBatcher;

  /** `searchCacheChars`: characters of search documents each session keeps (SEARCH_CACHE_MAX_CHARS). */
  constructor(db: Db, opts: { rng: Rng; notifier?: ChangeSink; now?: () => number; searchCacheChars?: number }) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#searchCacheChars = opts.searchCacheChars ?? SEARCH_CACHE_MAX_CHARS;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
    this.#now = opts.now ?? Date.now;
    this.#sealer = new DeliverySealer(opts.rng, this.#now);
    this.#batcher = new DeliveryBatcher(db, metaColumns('m'));
  }

  /**
   * Stores a message for a user who may be away: sealed to the public key. With `envelope`,
   * what is sealed is the LNMP envelope it returns for the recipient's public key (signed,
   * its content carrying `raw`), so the stored copy keeps who vouched for the message.
   * Concurrent deliveries are committed together (DeliveryBatcher); each resolves only after
   * its commit.
   */
  async deliver(input: {
    userId: number;
    role?: MailboxRole;
    raw: Uint8Array;
    envelope?: (recipientPublicKey: string) => VerifiedMessage;
    flags?: string[];
    internalDate?: Date;
  }): Promise<MessageMeta> {
    checkSize(input.raw);
    const flags = checkFlags(input.flags ?? []);
    const publicKey = await this.#publicKey(input.userId);
    const plain = input.envelope ? utf8(JSON.stringify(input.envelope(publicKey))) : input.raw;
    const seal = input.envelope ? SEAL_ENVELOPE : SEAL_TO_PUBLIC_KEY;
    const sealed = this.#sealer.seal(publicKey, input.userId, plain);
    const size = input.raw.length;
    const role = input.role ?? 'inbox';
    const item = { userId: input.userId, role, seal, data: sealed, size, flags, internalDate: input.internalDate ?? new Date(this.#now()) };
    let row = (await this.#batcher.submit(item)) as MetaRow | null;
    if (!row) {
      const [q] = await this.#db.query<{ fits: boolean; active: boolean; has_mailbox: boolean }>(
        "SELECT used_bytes + $2 <= quota_bytes AS fits, status = 'active' AS active, EXISTS (SELECT 1 FROM mailboxes WHERE user_id = $1 AND role = $3) AS has_mailbox FROM users WHERE id = $1",
        [input.userId, size, role],
      );
      if (!q || !q.active) {
        this.#publicKeys.delete(input.userId);
        throw new ServiceError('user_not_found');
      }
      if (!q.has_mailbox) throw new ServiceError('mailbox_not_found', `no ${role} mailbox`);
      // Fits on its own, but not together with the user's other deliveries of the batch.
      if (q.fits) row = (await this.#batcher.submit(item, { alone: true })) as MetaRow | null;
      if (!row) throw new ServiceError('quota_exceeded');
    }
    const result = meta(row);
    await this.#sink.publish({ userId: input.userId, modseq: result.modseq, mailboxId: result.mailboxId, kind: 'email' });
    return result;
  }

  /** A user's public key never changes, so it is cached; the delivery statement re-checks the user. */
  async #publicKey(userId: number): Promise<string> {
    const cached = this.#publicKeys.get(userId);
    if (cached) return cached;
    const [user] = await this.#db.query<{ public_key: string }>("SELECT public_key FROM users WHERE id = $1 AND status = 'active'", [userId]);
    if (!user) throw new ServiceError('user_not_found');
    if (this.#publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) this.#publicKeys.delete(this.#publicKeys.keys().next().value as number);
    this.#publicKeys.set(userId, user.public_key);
    return user.public_key;
  }

  /**
   * Like `deliver`, but one message in a transaction of its own, into a mailbox given by role
   * or id, with `claim` run first in that transaction: when it returns false nothing is stored
   * (undefined). Mail import uses it so its progress row commits with the message or not at all.
   */
  async deliverInto(
    input: {
      userId: number;
      target: { role: MailboxRole } | { id: number };
      raw: Uint8Array;
      /** The envelope to seal (seal 3), or an LNMP envelope as received (seal 4: `raw` is receivedBlobBytes, its size provisional until unlock). */
      envelope: ((recipientPublicKey: string) => VerifiedMessage) | { received: true };
      flags?: string[];
      internalDate: Date;
    },
    claim: (tx: Queryable) => Promise<boolean>,
  ): Promise<MessageMeta | undefined> {
    checkSize(input.raw);
    const flags = checkFlags(input.flags ?? []);
    const { userId, raw } = input;
    const publicKey = await this.#publicKey(userId);
    const received = typeof input.envelope !== 'function';
    const seal = received ? SEAL_RECEIVED : SEAL_ENVELOPE;
    const sealed = this.#sealer.seal(publicKey, userId, typeof input.envelope === 'function' ? utf8(JSON.stringify(input.envelope(publicKey))) : raw);
    const result = await this.#db.transaction(async (tx) => {
      if (!(await claim(tx))) return undefined;
      const modseq = await nextModseq(tx, userId);
      await chargeQuota(tx, userId, raw.length);
      const mb = await allocateUids(tx, userId, input.target, 1, modseq);
      const [blob] = await tx.query<{ id: number }>('INSERT INTO blobs (user_id, seal, data, size) VALUES ($1, $2, $3, $4) RETURNING id', [userId, seal, sealed, raw.length]);
      const [row] = await tx.query<MetaRow>(
        `INSERT INTO messages (id, user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
         SELECT id, $1, $2, $3, $4, $4, $5, $6, $7, id, $8 FROM (SELECT nextval('messages_id_seq')::int8 AS id) AS n
         RETURNING ${META_COLUMNS}`,
        [userId, mb.id, mb.firstUid, modseq, flags, input.internalDate, raw.length, blob!.id],
      );
      return meta(row!);
    });
    if (result) await this.#sink.publish({ userId, modseq: result.modseq, mailboxId: result.mailboxId, kind: 'email' });
    return result;
  }

  /** APPEND: the client's message, stored under the mailbox key, threaded at once. Returns the row and its blob (the JMAP Email). */
  async append(account: UnlockedAccount, mailboxId: number, raw: Uint8Array, opts: { flags?: string[]; internalDate?: Date } = {}): Promise<MessageMeta & { blobId: number }> {
    checkSize(raw);
    const flags = checkFlags(opts.flags ?? []);
    const sealed = sealWithMailboxKey(account, account.userId, raw, this.#rng);
    const summary = sealSummary(account, account.userId, summarize(raw), this.#rng);
    const userId = account.userId;
    const threadKeys = threadKeysOf(account, raw);
    const internalDate = opts.internalDate ?? new Date(this.#now());
    const result = await this.#db.transaction(async (tx) => {
      // Three statements, all under the account's modseq row lock (taken first, so the foreign
      // keys the inserts check point at a row this transaction already holds): the modseq, the
      // quota, the mailbox's UID and the message's id in one; the thread, read under the lock so
      // concurrent appends of one thread agree; then the blob, the thread keys the message adds
      // and the message row in one.
      const slot = await takeAppendSlot(tx, userId, mailboxId, raw.length);
      const { threads, fresh } = await planThreads(tx, userId, [{ key: 0, messageId: slot.messageId, keys: threadKeys }]);
      const [keysSql, keysParams] = insertThreadKeysSql(fresh, 13);
      const [row] = await tx.query<MetaRow & { blob_id: number }>(
        `WITH b AS (INSERT INTO blobs (user_id, seal, data, size, summary) VALUES ($1, $10, $11, $8, $12) RETURNING id)${fresh.size > 0 ? `, tk AS (${keysSql})` : ''}
         INSERT INTO messages (id, user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
         SELECT $2, $1, $3, $4, $5, $5, $6, $7, $8, $9, b.id FROM b RETURNING ${META_COLUMNS}, blob_id`,
        [userId, slot.messageId, slot.mailboxId, slot.uid, slot.modseq, flags, internalDate, raw.length, threads.get(0)!, SEAL_MAILBOX_KEY, sealed, summary, ...(fresh.size > 0 ? keysParams : [])],
      );
      return { ...meta(row!), blobId: row!.blob_id };
    });
    await this.#sink.publish({ userId, modseq: result.modseq, mailboxId: result.mailboxId, kind: 'email' });
    return result;
  }

  /**
   * Re-wraps blobs sealed to the public key under the mailbox key and threads them. Batched,
   * idempotent (a blob already re-wrapped is skipped) and crash-safe (one transaction per batch).
   * A blob that fails its integrity check is quarantined (kept, no longer re-wrapped; fetching it
   * reports `integrity`) so one damaged message never locks its owner out.
   */
  async rewrapPending(account: UnlockedAccount, batch = REWRAP_BATCH): Promise<number> {
    // Imported mail waiting for its named folder becomes ordinary pending mail first.
    for (const event of await materialiseImports(this.#db, account, this.#rng)) await this.#sink.publish(event);
    // Accounts created before identity documents existed get theirs while the key is at hand.
    await signMissingDocument(this.#db, account, this.#now(), this.#rng);
    let total = 0;
    for (;;) {
      const done = await this.#db.transaction((tx) => this.#rewrapBatch(tx, account, batch));
      total += done;
      if (done < batch) break;
    }
    return total;
  }

  /**
   * For a session that is open while mail arrives: when a received LNMP envelope waits (seal 4,
   * whose size is provisional), re-wraps what is pending so it is shown with its exact size at
   * once. One index probe when none waits; other pending mail keeps waiting for the next login.
   */
  async rewrapArrivals(account: UnlockedAccount): Promise<void> {
    const [pending] = await this.#db.query('SELECT 1 FROM blobs WHERE user_id = $1 AND seal = 4 AND NOT quarantined LIMIT 1', [account.userId]);
    if (pending) await this.rewrapPending(account);
  }

  /** One batch in one transaction: decrypt and re-seal in memory, then a handful of bulk statements. */
  async #rewrapBatch(tx: Queryable, account: UnlockedAccount, batch: number): Promise<number> {
    const picked = await tx.query<{ id: number; seal: number; data: Uint8Array; size: number | string }>(
      'SELECT id, seal, data, size FROM blobs WHERE user_id = $1 AND seal IN (1, 3, 4) AND NOT quarantined ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED',
      [account.userId, batch],
    );
    if (picked.length === 0) return 0;
    const shared = new Map<string, Uint8Array>();
    // A blob that fails its integrity check is set aside (quarantined), not allowed to block
    // the login: it stays stored as it is, and fetching it reports the error.
    const opened = picked.map((b) => {
      try {
        return { blob: b, raw: openBlob(b.seal, b.data, account.userId, account, shared) };
      } catch (err) {
        if (err instanceof ServiceError && err.code === 'integrity') return { blob: b, raw: undefined };
        throw err;
      }
    });
    for (const k of shared.values()) k.fill(0);
    const bad = opened.filter((o) => o.raw === undefined).map((o) => o.blob.id);
    if (bad.length > 0) await tx.query('UPDATE blobs SET quarantined = true WHERE user_id = $1 AND id = ANY($2::int8[])', [account.userId, bad]);
    const good = opened.filter((o): o is { blob: (typeof picked)[number]; raw: Uint8Array } => o.raw !== undefined);
    const blobs = good.map((o) => o.blob);
    const raws = good.map((o) => o.raw);
    if (blobs.length === 0) return picked.length;
    await tx.query(
      `UPDATE blobs SET seal = 2, data = v.data, size = v.size, summary = v.summary
         FROM unnest($2::int8[], $3::bytea[], $4::int8[], $5::bytea[]) AS v(id, data, size, summary)
        WHERE blobs.id = ANY($2::int8[]) AND blobs.id = v.id AND blobs.user_id = $1 AND blobs.seal IN (1, 3, 4)`,
      [
        account.userId,
        blobs.map((b) => b.id),
        raws.map((raw) => sealWithMailboxKey(account, account.userId, raw, this.#rng)),
        raws.map((raw) => raw.length),
        raws.map((raw) => sealSummary(account, account.userId, summarize(raw), this.#rng)),
      ],
    );
    await fixReceivedSizes(tx, account.userId, good.filter((o) => o.blob.seal === SEAL_RECEIVED).map((o) => ({ blobId: o.blob.id, size: o.raw.length })));
    const msgs = await tx.query<{ id: number; mailbox_id: number; uid: number; blob_id: number }>(
      'SELECT id, mailbox_id, uid, blob_id FROM messages WHERE user_id = $1 AND blob_id = ANY($2::int8[]) ORDER BY id',
      [account.userId, blobs.map((b) => b.id)],
    );
    if (msgs.length === 0) return picked.length;
    const firstMessage = new Map<number, number>();
    for (const m of msgs) if (!firstMessage.has(m.blob_id)) firstMessage.set(m.blob_id, m.id);
    const threads = await assignThreads(
      tx,
      account,
      blobs.flatMap((b, i) => (firstMessage.has(b.id) ? [{ key: b.id, messageId: firstMessage.get(b.id)!, raw: raws[i]! }] : [])),
    );
    const modseq = await nextModseq(tx, account.userId);
    await tx.query(
      'UPDATE messages SET thread_id = v.thread_id, modseq = $2 FROM unnest($3::int8[], $4::int8[]) AS v(blob_id, thread_id) WHERE messages.user_id = $1 AND messages.blob_id = v.blob_id',
      [account.userId, modseq, [...threads.keys()], [...threads.values()]],
    );
    await tx.query('UPDATE mailboxes SET highestmodseq = $2 WHERE user_id = $1 AND id = ANY($3::int8[])', [account.userId, modseq, [...new Set(msgs.map((m) => m.mailbox_id))]]);
    return picked.length;
  }

  /**
   * What SELECT needs and nothing more: every UID in order and the keywords in use. Two
   * one-row answers instead of a row per message (listing 10k rows dominated SELECT).
   */
  async selectInfo(account: UnlockedAccount, mailboxId: number): Promise<{ uids: number[]; keywords: string[] }> {
    const [uidRow] = await this.#db.query<{ uids: string | null }>(
      "SELECT string_agg(uid::text, ',' ORDER BY uid) AS uids FROM messages WHERE user_id = $1 AND mailbox_id = $2",
      [account.userId, mailboxId],
    );
    const [kwRow] = await this.#db.query<{ keywords: string | null }>(
      `SELECT string_agg(DISTINCT f, ' ' ORDER BY f) AS keywords FROM messages, unnest(flags) AS f
        WHERE user_id = $1 AND mailbox_id = $2 AND left(f, 1) <> '\\'`,
      [account.userId, mailboxId],
    );
    const uids = uidRow?.uids ? uidRow.uids.split(',').map(Number) : [];
    return { uids, keywords: kwRow?.keywords ? kwRow.keywords.split(' ') : [] };
  }

  /** UID, flags and modseq of every message in a mailbox (SELECT, and CONDSTORE CHANGEDSINCE). */
  async list(account: UnlockedAccount, mailboxId: number, opts: { changedSince?: number } = {}): Promise<MessageMeta[]> {
    const rows = await this.#db.query<MetaRow>(
      `SELECT ${META_COLUMNS} FROM messages WHERE user_id = $1 AND mailbox_id = $2 AND modseq > $3 ORDER BY uid`,
      [account.userId, mailboxId, opts.changedSince ?? 0],
    );
    return rows.map(meta);
  }

  /** UID, flags and modseq of the given UIDs of a mailbox (IMAP FETCH without the body). */
  async listByUid(account: UnlockedAccount, mailboxId: number, uids: readonly number[]): Promise<MessageMeta[]> {
    const rows = await this.#db.query<MetaRow>(
      `SELECT ${META_COLUMNS} FROM messages WHERE user_id = $1 AND mailbox_id = $2 AND uid = ANY($3::int8[]) ORDER BY uid`,
      [account.userId, mailboxId, uids],
    );
    return rows.map(meta);
  }

  /** Messages with their decrypted bytes, exactly as delivered or appended. */
  async fetch(account: UnlockedAccount, mailboxId: number, uids: readonly number[]): Promise<FetchedMessage[]> {
    const rows = await this.#db.query<MetaRow & { seal: number; data: Uint8Array }>(
      `SELECT ${metaColumns('m')}, b.seal, b.data
         FROM messages m JOIN blobs b ON b.id = m.blob_id AND b.user_id = m.user_id
        WHERE m.user_id = $1 AND m.mailbox_id = $2 AND m.uid = ANY($3::int8[]) ORDER BY m.uid`,
      [account.userId, mailboxId, uids],
    );
    const shared = new Map<string, Uint8Array>();
    return rows.map((r) => ({ ...meta(r), raw: openBlob(r.seal, r.data, account.userId, account, shared) }));
  }

  /** Like fetch() but `raw` is the message's top-level header only (from the summary). */
  async fetchHeaders(account: UnlockedAccount, mailboxId: number, uids: readonly number[]): Promise<FetchedMessage[]> {
    const rows = await this.#db.query<MetaRow & { blob_id: number; seal: number; summary: Uint8Array | null }>(
      `SELECT ${metaColumns('m')}, m.blob_id, b.seal, b.summary
         FROM messages m JOIN blobs b ON b.id = m.blob_id AND b.user_id = m.user_id
        WHERE m.user_id = $1 AND m.mailbox_id = $2 AND m.uid = ANY($3::int8[]) ORDER BY m.uid`,
      [account.userId, mailboxId, uids],
    );
    const summaries = await this.#summaries(account, rows.map((r) => ({ id: r.blob_id, seal: r.seal, summary: r.summary })));
    // A blob removed between the two reads (its last message expunged) is left out, as by fetch().
    return rows.flatMap((r) => {
      const summary = summaries.get(r.blob_id);
      return summary ? [{ ...meta(r), raw: summary.header }] : [];
    });
  }

  /** Summaries of some of the user's blobs that a message holds; a blob without one (stored before 015, or not re-wrapped yet) is summarised from its bytes, and for seal 2 the summary is stored back. */
  async readSummaries(account: UnlockedAccount, blobIds: readonly number[]): Promise<Map<number, MessageSummary>> {
    if (blobIds.length === 0) return new Map();
    // Only the user's blobs (b.user_id), and a blob's messages are its user's: naming m.user_id
    // in EXISTS as well made PostgreSQL probe the (user_id, internal_date, blob_id) index, a scan
    // of all the user's rows per blob, instead of messages (blob_id).
    const rows = await this.#db.query<{ id: number; seal: number; summary: Uint8Array | null }>(
      `SELECT b.id, b.seal, b.summary FROM blobs b
        WHERE b.user_id = $1 AND b.id = ANY($2::int8[]) AND EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)`,
      [account.userId, [...new Set(blobIds)]],
    );
    return this.#summaries(account, rows);
  }

  /**
   * Opens the stored summaries; the blobs without one (or with one that does not open) are
   * read, opened and summarised, and those under the mailbox key get theirs stored back.
   */
  async #summaries(account: UnlockedAccount, rows: ReadonlyArray<{ id: number; seal: number; summary: Uint8Array | null }>): Promise<Map<number, MessageSummary>> {
    const out = new Map<number, MessageSummary>();
    const missing = new Set<number>();
    for (const r of rows) {
      if (out.has(r.id)) continue;
      if (r.summary) {
        try {
          out.set(r.id, openSummary(account, account.userId, r.summary));
          continue;
        } catch (err) {
          // The blob's own (authenticated) bytes say what the summary should be.
          if (!(err instanceof ServiceError && err.code === 'integrity')) throw err;
        }
      }
      missing.add(r.id);
    }
    if (missing.size === 0) return out;
    const blobs = await this.#db.query<{ id: number; seal: number; data: Uint8Array }>('SELECT id, seal, data FROM blobs WHERE user_id = $1 AND id = ANY($2::int8[])', [account.userId, [...missing]]);
    const shared = new Map<string, Uint8Array>();
    const stored: Array<{ id: number; summary: Uint8Array }> = [];
    try {
      for (const b of blobs) {
        const summary = summarize(openBlob(b.seal, b.data, account.userId, account, shared));
        out.set(b.id, summary);
        // Blobs still sealed to the public key get theirs when they are re-wrapped.
        if (b.seal === SEAL_MAILBOX_KEY) stored.push({ id: b.id, summary: sealSummary(account, account.userId, summary, this.#rng) });
      }
    } finally {
      for (const k of shared.values()) k.fill(0);
    }
    if (stored.length > 0) {
      await this.#db.query(
        'UPDATE blobs SET summary = v.summary FROM unnest($2::int8[], $3::bytea[]) AS v(id, summary) WHERE blobs.id = ANY($2::int8[]) AND blobs.id = v.id AND blobs.user_id = $1 AND blobs.seal = 2',
        [account.userId, stored.map((s) => s.id), stored.map((s) => s.summary)],
      );
    }
    return out;
  }

  /**
   * STORE: add, remove or replace flags. One modseq for the whole operation; only messages
   * whose flags change get it. With `unchangedSince`, messages modified after it are left
   * alone and reported in `failed` (RFC 7162 §3.1.3).
   */
  async store(
    account: UnlockedAccount, mailboxId: number, uids: readonly number[], op: 'add' | 'remove' | 'set', flags: readonly string[], opts: { unchangedSince?: number } = {},
  ): Promise<{ updated: MessageMeta[]; failed: number[] }> {
    const f = checkFlags(flags);
    const newFlags =
      op === 'set' ? '$4::text[]' : op === 'add' ? 'ARRAY(SELECT DISTINCT x FROM unnest(flags || $4::text[]) x ORDER BY x)' : 'ARRAY(SELECT x FROM unnest(flags) x WHERE x <> ALL ($4::text[]) ORDER BY x)';
    // One statement, no transaction round trips: lock the rows (in UID order), keep those
    // unchanged since $5 whose flags change, and only then (count(*) reads every candidate
    // first) take the modseq, update them and the mailbox's HIGHESTMODSEQ. None eligible, no
    // modseq. Every CTE reads the candidates as locked, so the flags written are computed from
    // the rows' latest versions, as the UPDATE's own re-check would. The UNION's second part
    // lists the UIDs modified after UNCHANGEDSINCE.
    const rows = await this.#db.query<MetaRow & { failed_uid: number | null }>(
      `WITH cand AS (
         SELECT id, uid, modseq, flags FROM messages WHERE user_id = $1 AND mailbox_id = $2 AND uid = ANY($3::int8[]) ORDER BY uid FOR UPDATE),
       elig AS (
         SELECT id, nf FROM (SELECT id, flags, ${newFlags} AS nf FROM cand WHERE $5::int8 IS NULL OR modseq <= $5) c WHERE flags IS DISTINCT FROM nf),
       ms AS (
         UPDATE users SET modseq = modseq + 1 WHERE id = $1 AND (SELECT count(*) FROM elig) > 0 RETURNING modseq AS new_modseq),
       upd AS (
         UPDATE messages m SET flags = e.nf, modseq = ms.new_modseq FROM elig e, ms WHERE m.id = e.id AND m.user_id = $1 RETURNING ${metaColumns('m')}),
       mb AS (
         UPDATE mailboxes b SET highestmodseq = ms.new_modseq FROM ms WHERE b.id = $2 AND b.user_id = $1)
       SELECT upd.*, NULL::int8 AS failed_uid FROM upd
       UNION ALL
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, uid FROM cand WHERE modseq > $5`,
      [account.userId, mailboxId, uids, f, opts.unchangedSince ?? null],
    );
    const updated = rows.filter((r) => r.failed_uid === null).sort((a, b) => a.uid - b.uid);
    const failed = rows.filter((r) => r.failed_uid !== null).map((r) => r.failed_uid!).sort((a, b) => a - b);
    const modseq = updated[0]?.modseq ?? 0;
    if (modseq) await this.#sink.publish({ userId: account.userId, modseq, mailboxId, kind: 'email' });
    return { updated: updated.map(meta), failed };
  }

  /** COPY (or MOVE with `move`): returns source → destination UID pairs (COPYUID). */
  async copy(account: UnlockedAccount, fromId: number, uids: readonly number[], toId: number, opts: { move?: boolean } = {}): Promise<Array<{ from: number; to: number }>> {
    const result = await this.#db.transaction(async (tx) => {
      const src = await tx.query<SourceRow>(
        'SELECT id, uid, size, thread_id, blob_id, created_modseq FROM messages WHERE user_id = $1 AND mailbox_id = $2 AND uid = ANY($3::int8[]) ORDER BY uid FOR UPDATE',
        [account.userId, fromId, uids],
      );
      return copyRows(tx, account.userId, fromId, src, { id: toId }, { move: opts.move === true, addFlags: [] });
    });
    if (result.modseq) await this.#sink.publish({ userId: account.userId, modseq: result.modseq, mailboxId: toId, kind: 'email' });
    return result.pairs;
  }

  /**
   * Moves a user's copies of one stored message (by blob) out of the mailbox with role `from`
   * into the one with role `to`, adding `addFlags`, inside the caller's transaction: postage
   * moves a paid message from the Screener to the INBOX while the user is away. Returns the
   * event to announce after the caller commits, or undefined when no copy was there.
   */
  async moveBlob(tx: Queryable, userId: number, blobId: number, from: MailboxRole, to: MailboxRole, addFlags: readonly string[]): Promise<ChangeEvent | undefined> {
    const flags = checkFlags(addFlags);
    const src = await tx.query<SourceRow & { mailbox_id: number }>(
      `SELECT m.id, m.uid, m.size, m.thread_id, m.blob_id, m.created_modseq, m.mailbox_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
        WHERE m.user_id = $1 AND m.blob_id = $2 AND b.role = $3 ORDER BY m.uid FOR UPDATE OF m`,
      [userId, blobId, from],
    );
    if (src.length === 0) return undefined;
    const { modseq, toId } = await copyRows(tx, userId, src[0]!.mailbox_id, src, { role: to }, { move: true, addFlags: flags });
    return { userId, modseq, mailboxId: toId, kind: 'email' };
  }

  /** Publishes what a caller's transaction changed (see moveBlob), after its commit. */
  async announce(event: ChangeEvent): Promise<void> {
    await this.#sink.publish(event);
  }

  /** EXPUNGE: removes messages flagged \Deleted (only those in `uids`, if given). Returns their UIDs. */
  async expunge(account: UnlockedAccount, mailboxId: number, uids?: readonly number[]): Promise<number[]> {
    const result = await this.#db.transaction(async (tx) => {
      // The DELETE takes the modseq (and gives the quota back) once it holds every row: the
      // account's lock comes after the rows', as in STORE and COPY.
      const gone = await tx.query<Omit<RemovedMessage, 'mailbox_id'> & { new_modseq: number | null }>(
        `WITH gone AS (
           DELETE FROM messages WHERE user_id = $1 AND mailbox_id = $2 AND '\\Deleted' = ANY (flags) ${uids ? 'AND uid = ANY($3::int8[])' : ''}
           RETURNING id, uid, size, blob_id, thread_id, created_modseq),
         ms AS (
           UPDATE users SET modseq = modseq + 1, used_bytes = greatest(used_bytes - (SELECT coalesce(sum(size), 0) FROM gone), 0)
            WHERE id = $1 AND (SELECT count(*) FROM gone) > 0 RETURNING modseq AS new_modseq)
         SELECT gone.*, (SELECT new_modseq FROM ms) AS new_modseq FROM gone`,
        uids ? [account.userId, mailboxId, uids] : [account.userId, mailboxId],
      );
      if (gone.length === 0) return { uids: [], modseq: 0 };
      const modseq = gone[0]!.new_modseq;
      if (modseq === null) throw new Error(`user ${account.userId} vanished during a change`);
      await journalRemoval(tx, account.userId, modseq, gone.map((m) => ({ ...m, mailbox_id: mailboxId })));
      return { uids: gone.map((m) => m.uid).sort((a, b) => a - b), modseq };
    });
    if (result.modseq) await this.#sink.publish({ userId: account.userId, modseq: result.modseq, mailboxId, kind: 'email' });
    return result.uids;
  }

  /**
   * The account's current modseq and every change after `since` (JMAP /changes): live
   * messages changed since then (created or updated, told apart by created_modseq) and the
   * journal's destroyed messages and mailbox changes. Ordered by modseq.
   */
  async changesSince(account: UnlockedAccount, since: number): Promise<{ modseq: number; changes: Change[] }> {
    const [u] = await this.#db.query<{ modseq: number }>('SELECT modseq FROM users WHERE id = $1', [account.userId]);
    const rows = await this.#db.query<{ modseq: number; kind: 'email' | 'mailbox'; op: Change['op']; object_id: number; mailbox_id: number | null; uid: number | null }>(
      `SELECT modseq, 'email' AS kind, CASE WHEN created_modseq > $2 THEN 'created' ELSE 'updated' END AS op, id AS object_id, mailbox_id, uid
         FROM messages
        WHERE user_id = $1 AND modseq > $2 AND mailbox_id = ANY (SELECT id FROM mailboxes WHERE user_id = $1)
       UNION ALL
       SELECT modseq, kind, op, object_id, mailbox_id, uid FROM changes WHERE user_id = $1 AND modseq > $2
       ORDER BY modseq, object_id`,
      [account.userId, since],
    );
    return { modseq: u!.modseq, changes: rows.map((r) => ({ modseq: r.modseq, kind: r.kind, op: r.op, objectId: r.object_id, mailboxId: r.mailbox_id, uid: r.uid })) };
  }

  /**
   * One page of the user's Emails (blob ids) by internal date, ties by blob id, in one mailbox
   * or all, and on request how many there are: JMAP Email/query without reading every row.
   * Copies of a blob share its date, so each blob is one (blob, date) pair.
   */
  async emailPage(
    account: UnlockedAccount, opts: { mailboxId?: number; ascending: boolean; offset: number; limit: number; withTotal?: boolean },
  ): Promise<{ blobIds: number[]; total?: number }> {
    const params: unknown[] = [account.userId];
    const where = `user_id = $1${opts.mailboxId === undefined ? '' : ` AND mailbox_id = $${params.push(opts.mailboxId)}`}`;
    const dir = opts.ascending ? 'ASC' : 'DESC';
    const [page, count] = await Promise.all([
      opts.limit === 0 ? [] : this.#db.query<{ blob_id: number }>(
        `SELECT DISTINCT blob_id, internal_date FROM messages WHERE ${where} ORDER BY internal_date ${dir}, blob_id ${dir} LIMIT ${opts.limit | 0} OFFSET ${opts.offset | 0}`,
        params,
      ),
      opts.withTotal ? this.#db.query<{ n: number }>(`SELECT count(DISTINCT blob_id)::int AS n FROM messages WHERE ${where}`, params) : undefined,
    ]);
    return { blobIds: page.map((r) => r.blob_id), ...(count ? { total: count[0]!.n } : {}) };
  }

  /**
   * Message rows with their blob (JMAP Emails), in the user's mailboxes: of some blobs, of some
   * threads, of one mailbox, or all. Ordered by blob, mailbox and UID.
   */
  async emailRows(account: UnlockedAccount, filter: { blobIds?: readonly number[]; threadIds?: readonly number[]; mailboxId?: number } = {}): Promise<EmailRow[]> {
    const where: string[] = ['user_id = $1'];
    const params: unknown[] = [account.userId];
    if (filter.blobIds) where.push(`blob_id = ANY($${params.push(filter.blobIds)}::int8[])`);
    if (filter.threadIds) where.push(`thread_id = ANY($${params.push(filter.threadIds)}::int8[])`);
    if (filter.mailboxId !== undefined) where.push(`mailbox_id = $${params.push(filter.mailboxId)}`);
    const rows = await this.#db.query<MetaRow & { blob_id: number; created_modseq: number }>(
      `SELECT ${META_COLUMNS}, blob_id, created_modseq FROM messages WHERE ${where.join(' AND ')} ORDER BY blob_id, mailbox_id, uid`,
      params,
    );
    return rows.map((r) => ({ ...meta(r), blobId: r.blob_id, createdModseq: r.created_modseq }));
  }

  /** The decrypted bytes of one of the user's blobs that a message still holds, else undefined. */
  async readBlob(account: UnlockedAccount, blobId: number): Promise<Uint8Array | undefined> {
    const [b] = await this.#db.query<{ seal: number; data: Uint8Array }>(
      'SELECT seal, data FROM blobs b WHERE b.id = $2 AND b.user_id = $1 AND EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)',
      [account.userId, blobId],
    );
    return b ? openBlob(b.seal, b.data, account.userId, account, new Map()) : undefined;
  }

  /**
   * What JMAP Email/changes needs after `since`: the account's modseq, every live row of each
   * blob with a row changed or removed since, and the journal rows of the messages removed
   * since (with their blob and creation modseq). Ordered by modseq.
   */
  async emailChangesSince(account: UnlockedAccount, since: number): Promise<{ modseq: number; rows: EmailRow[]; journal: EmailJournalRow[] }> {
    const [u] = await this.#db.query<{ modseq: number }>('SELECT modseq FROM users WHERE id = $1', [account.userId]);
    const rows = await this.#db.query<MetaRow & { blob_id: number; created_modseq: number }>(
      `SELECT ${META_COLUMNS}, blob_id, created_modseq FROM messages
        WHERE user_id = $1 AND blob_id IN (
          SELECT blob_id FROM messages WHERE user_id = $1 AND modseq > $2
          UNION SELECT blob_id FROM changes WHERE user_id = $1 AND kind = 'email' AND op = 'destroyed' AND modseq > $2 AND blob_id IS NOT NULL)
        ORDER BY modseq, id`,
      [account.userId, since],
    );
    const journal = await this.#db.query<{ modseq: number; blob_id: number | null; created_modseq: number | null; mailbox_id: number | null }>(
      "SELECT modseq, blob_id, created_modseq, mailbox_id FROM changes WHERE user_id = $1 AND kind = 'email' AND op = 'destroyed' AND modseq > $2 ORDER BY modseq, id",
      [account.userId, since],
    );
    return {
      modseq: u!.modseq,
      rows: rows.map((r) => ({ ...meta(r), blobId: r.blob_id, createdModseq: r.created_modseq })),
      journal: journal.map((j) => ({ modseq: j.modseq, blobId: j.blob_id, createdModseq: j.created_modseq, mailboxId: j.mailbox_id })),
    };
  }

  /**
   * Removes the user's messages holding each blob (from the given mailboxes, or all), in one
   * transaction and one modseq, journaled per message as an expunge is (IMAP sees EXPUNGE;
   * the blob in the row lets JMAP name the Email). Returns the blobs touched.
   */
  async removeBlobs(account: UnlockedAccount, items: ReadonlyArray<{ blobId: number; mailboxIds?: readonly number[] }>): Promise<number[]> {
    const userId = account.userId;
    const result = await this.#db.transaction(async (tx) => {
      const removed: RemovedMessage[] = [];
      const mailboxes = new Set<number>();
      const touched: number[] = [];
      for (const item of items) {
        const gone = await tx.query<RemovedMessage>(
          `DELETE FROM messages WHERE user_id = $1 AND blob_id = $2 ${item.mailboxIds ? 'AND mailbox_id = ANY($3::int8[])' : ''}
           RETURNING id, mailbox_id, uid, size, blob_id, thread_id, created_modseq`,
          item.mailboxIds ? [userId, item.blobId, item.mailboxIds] : [userId, item.blobId],
        );
        if (gone.length === 0) continue;
        touched.push(item.blobId);
        for (const m of gone) {
          mailboxes.add(m.mailbox_id);
          removed.push(m);
        }
      }
      if (touched.length === 0) return { touched, modseq: 0, mailboxes: [] as number[] };
      const modseq = await removalModseq(tx, userId, removed);
      await journalRemoval(tx, userId, modseq, removed);
      return { touched, modseq, mailboxes: [...mailboxes] };
    });
    for (const mailboxId of result.mailboxes) await this.#sink.publish({ userId, modseq: result.modseq, mailboxId, kind: 'email' });
    return result.touched;
  }

  /** UIDs expunged from a mailbox after `since` (QRESYNC VANISHED (EARLIER)). */
  async vanishedSince(account: UnlockedAccount, mailboxId: number, since: number): Promise<number[]> {
    const rows = await this.#db.query<{ uid: number }>(
      "SELECT DISTINCT uid FROM changes WHERE user_id = $1 AND mailbox_id = $2 AND op = 'destroyed' AND kind = 'email' AND modseq > $3 ORDER BY uid",
      [account.userId, mailboxId, since],
    );
    return rows.map((r) => r.uid);
  }

  /** UIDs expunged from a mailbox after `since`, with the modseq of each removal (IMAP untagged EXPUNGE). */
  async expungedSince(account: UnlockedAccount, mailboxId: number, since: number): Promise<Array<{ uid: number; modseq: number }>> {
    return this.#db.query<{ uid: number; modseq: number }>(
      "SELECT uid, max(modseq) AS modseq FROM changes WHERE user_id = $1 AND mailbox_id = $2 AND op = 'destroyed' AND kind = 'email' AND modseq > $3 GROUP BY uid ORDER BY uid",
      [account.userId, mailboxId, since],
    );
  }

  /** The messages of one thread, oldest first. */
  async thread(account: UnlockedAccount, threadId: number): Promise<MessageMeta[]> {
    const rows = await this.#db.query<MetaRow>(`SELECT ${META_COLUMNS} FROM messages WHERE user_id = $1 AND thread_id = $2 ORDER BY internal_ms, id`, [account.userId, threadId]);
    return rows.map(meta);
  }

  async quota(account: UnlockedAccount): Promise<{ usedBytes: number; limitBytes: number }> {
    const [u] = await this.#db.query<{ used_bytes: number; quota_bytes: number }>('SELECT used_bytes, quota_bytes FROM users WHERE id = $1', [account.userId]);
    return { usedBytes: u!.used_bytes, limitBytes: u!.quota_bytes };
  }

  /**
   * UIDs of messages whose header field, body or whole text contains `value` (case-insensitive).
   * Search runs over documents decrypted once per session and kept in memory for it, within the
   * session's budget; the mailbox is searched SEARCH_CHUNK messages at a time, so a search holds
   * at most that many documents beyond the budget.
   */
  async search(account: UnlockedAccount, mailboxId: number, criterion: SearchCriterion, value: string): Promise<number[]> {
    const index = await this.#db.query<{ uid: number; blob_id: number }>('SELECT uid, blob_id FROM messages WHERE user_id = $1 AND mailbox_id = $2 ORDER BY uid', [account.userId, mailboxId]);
    const found: number[] = [];
    for (let i = 0; i < index.length; i += SEARCH_CHUNK) {
      const chunk = index.slice(i, i + SEARCH_CHUNK);
      const docs = await this.searchDocuments(account, chunk.map((m) => m.blob_id));
      for (const m of chunk) {
        const doc = docs.get(m.blob_id);
        if (doc && matches(doc, criterion, value)) found.push(m.uid);
      }
    }
    return found;
  }

  /** The search documents of some of the user's blobs (JMAP Email/query), from the session's cache; blobs that are gone are left out. */
  async searchDocuments(account: UnlockedAccount, blobIds: readonly number[]): Promise<Map<number, SearchDoc>> {
    let cache = this.#searchCache.get(account);
    if (!cache) this.#searchCache.set(account, (cache = new SearchDocCache(this.#searchCacheChars)));
    const out = new Map<number, SearchDoc>();
    const missing: number[] = [];
    for (const id of new Set(blobIds)) {
      const doc = cache.get(id);
      if (doc) out.set(id, doc);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const blobs = await this.#db.query<{ id: number; seal: number; data: Uint8Array }>('SELECT id, seal, data FROM blobs WHERE user_id = $1 AND id = ANY($2::int8[])', [account.userId, missing]);
      const shared = new Map<string, Uint8Array>();
      for (const b of blobs) {
        const doc = toSearchDoc(openBlob(b.seal, b.data, account.userId, account, shared));
        cache.set(b.id, doc);
        out.set(b.id, doc);
      }
      for (const k of shared.values()) k.fill(0);
    }
    return out;
  }
}

function checkSize(raw: Uint8Array): void {
  if (!(raw instanceof Uint8Array) || raw.length === 0) throw new ServiceError('too_large', 'a message has at least one byte');
  if (raw.length > MAX_MESSAGE_BYTES) throw new ServiceError('too_large', `messages are limited to ${MAX_MESSAGE_BYTES} bytes`);
}

/**
 * A received LNMP envelope's MIME view is known only once opened: its messages take the exact
 * size, and the quota the difference from the provisional one (the envelope's).
 */
async function fixReceivedSizes(tx: Queryable, userId: number, blobs: ReadonlyArray<{ blobId: number; size: number }>): Promise<void> {
  if (blobs.length === 0) return;
  // The CTEs read the sizes as they were before the UPDATE (one snapshot).
  await tx.query(
    `WITH v AS (SELECT * FROM unnest($2::int8[], $3::int8[]) AS v(blob_id, size)),
     old AS (SELECT v.size - m.size AS delta FROM messages m JOIN v ON m.blob_id = v.blob_id WHERE m.user_id = $1),
     upd AS (UPDATE messages m SET size = v.size FROM v WHERE m.user_id = $1 AND m.blob_id = v.blob_id RETURNING m.id)
     UPDATE users SET used_bytes = greatest(used_bytes + (SELECT coalesce(sum(delta), 0) FROM old), 0) WHERE id = $1`,
    [userId, blobs.map((b) => b.blobId), blobs.map((b) => b.size)],
  );
}

export async function chargeQuota(tx: Queryable, userId: number, bytes: number): Promise<void> {
  const rows = await tx.query('UPDATE users SET used_bytes = used_bytes + $2 WHERE id = $1 AND used_bytes + $2 <= quota_bytes RETURNING id', [userId, bytes]);
  if (rows.length === 0) throw new ServiceError('quota_exceeded');
}

interface SourceRow {
  id: number;
  uid: number;
  size: number;
  thread_id: number;
  blob_id: number;
  created_modseq: number;
}

/**
 * The CTEs a write that adds messages starts with, so the account's modseq row lock comes
 * first: `ms` takes the next modseq (`new_modseq`) and charges `$3` bytes to the quota (0: no
 * charge and no check, a move); `dest` gives mailbox `$2` (its id, or with `byRole` its role)
 * `$4` new UIDs from `first_uid`, and that HIGHESTMODSEQ. `$1` is the user. `ms` has no row
 * when the quota refused, `dest` none when there is no such mailbox.
 */
function reserveCtes(byRole: boolean): string {
  return `ms AS (
       UPDATE users SET modseq = modseq + 1, used_bytes = used_bytes + $3::int8 WHERE id = $1 AND ($3::int8 = 0 OR used_bytes + $3::int8 <= quota_bytes) RETURNING modseq AS new_modseq),
     dest AS (
       UPDATE mailboxes b SET uidnext = b.uidnext + $4::int8, highestmodseq = ms.new_modseq FROM ms WHERE b.user_id = $1 AND ${byRole ? 'b.role = $2' : 'b.id = $2::int8'}
       RETURNING b.id, b.uidnext - $4::int8 AS first_uid)`;
}

/**
 * The copy of rows `src` (all in mailbox `fromId`, ascending UIDs) into a mailbox at
 * consecutive new UIDs, with `addFlags` added; with `move`, the sources go (journaled).
 */
async function copyRows(
  tx: Queryable, userId: number, fromId: number, src: readonly SourceRow[], target: { role: MailboxRole } | { id: number }, opts: { move: boolean; addFlags: readonly string[] },
): Promise<{ pairs: Array<{ from: number; to: number }>; modseq: number; toId: number }> {
  if (src.length === 0) return { pairs: [], modseq: 0, toId: 'id' in target ? target.id : 0 };
  // One statement after the caller locked the sources: the modseq with the quota charge (a
  // copy only), then the target's UIDs, the new rows and, for a move, the sources' removal,
  // their journal rows and their mailbox's HIGHESTMODSEQ (the target's is set with its UIDs).
  // The CTEs that change mailboxes and rows join `ms`, so the modseq row lock comes first.
  const byRole = 'role' in target;
  const bytes = opts.move ? 0 : src.reduce((s, m) => s + m.size, 0);
  const params: unknown[] = [userId, byRole ? target.role : target.id, bytes, src.length, src.map((m) => m.id)];
  const flagsSql = opts.addFlags.length === 0 ? 's.flags' : `ARRAY(SELECT DISTINCT x FROM unnest(s.flags || $${params.push(opts.addFlags)}::text[]) x ORDER BY x)`;
  const move = opts.move
    ? `, del AS (DELETE FROM messages WHERE user_id = $1 AND id = ANY($5::int8[]) AND EXISTS (SELECT 1 FROM dest)),
       src_mb AS (UPDATE mailboxes b SET highestmodseq = ms.new_modseq FROM ms WHERE b.id = $${params.push(fromId)}::int8 AND b.user_id = $1 AND NOT EXISTS (SELECT 1 FROM dest WHERE dest.id = $${params.length})),
       j AS (
         INSERT INTO changes (user_id, modseq, kind, op, object_id, mailbox_id, uid, thread_id, blob_id, created_modseq)
         SELECT $1, ms.new_modseq, 'email', 'destroyed', s.id, $${params.length}::int8, s.uid, s.thread_id, s.blob_id, s.created_modseq
           FROM messages s, ms WHERE s.user_id = $1 AND s.id = ANY($5::int8[]) AND EXISTS (SELECT 1 FROM dest) ORDER BY s.uid)`
    : '';
  const [r] = await tx.query<{ modseq: number | null; to_id: number | null; first_uid: number | null }>(
    `WITH ${reserveCtes(byRole)},
     ins AS (
       INSERT INTO messages (user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
       SELECT s.user_id, dest.id, dest.first_uid + (row_number() OVER (ORDER BY s.uid)) - 1, ms.new_modseq, ms.new_modseq,
              ${flagsSql}, s.internal_date, s.size, s.thread_id, s.blob_id
         FROM messages s, dest, ms WHERE s.user_id = $1 AND s.id = ANY($5::int8[]))${move}
     SELECT (SELECT new_modseq FROM ms) AS modseq, (SELECT id FROM dest) AS to_id, (SELECT first_uid FROM dest) AS first_uid`,
    params,
  );
  if (r?.modseq == null) {
    if (opts.move) throw new Error(`user ${userId} vanished during a change`);
    throw new ServiceError('quota_exceeded');
  }
  if (r.to_id === null || r.first_uid === null) throw new ServiceError('mailbox_not_found');
  // Source UIDs in ascending order map to consecutive new UIDs.
  const pairs = src.map((m, i) => ({ from: m.uid, to: r.first_uid! + i }));
  return { pairs, modseq: r.modseq, toId: r.to_id };
}

/**
 * APPEND's first statement, which takes the account's modseq row lock: the next modseq, `bytes`
 * charged to the quota, the mailbox's next UID and an id for the message. Quota before mailbox,
 * as chargeQuota then allocateUids would refuse.
 */
async function takeAppendSlot(tx: Queryable, userId: number, mailboxId: number, bytes: number): Promise<{ modseq: number; mailboxId: number; uid: number; messageId: number }> {
  const [r] = await tx.query<{ modseq: number | null; mailbox_id: number | null; uid: number | null; message_id: number }>(
    `WITH ${reserveCtes(false)}
     SELECT (SELECT new_modseq FROM ms) AS modseq, (SELECT id FROM dest) AS mailbox_id, (SELECT first_uid FROM dest) AS uid, nextval('messages_id_seq')::int8 AS message_id`,
    [userId, mailboxId, bytes, 1],
  );
  if (r?.modseq == null) throw new ServiceError('quota_exceeded');
  if (r.mailbox_id === null || r.uid === null) throw new ServiceError('mailbox_not_found');
  return { modseq: r.modseq, mailboxId: r.mailbox_id, uid: r.uid, messageId: r.message_id };
}

/** Reserves `count` UIDs in a mailbox of the user (row lock: concurrent appends get increasing UIDs). */
export async function allocateUids(tx: Queryable, userId: number, target: { role: MailboxRole } | { id: number }, count: number, modseq: number): Promise<{ id: number; firstUid: number }> {
  const byRole = 'role' in target;
  const rows = await tx.query<{ id: number; first_uid: number }>(
    `UPDATE mailboxes SET uidnext = uidnext + $3, highestmodseq = $4 WHERE user_id = $1 AND ${byRole ? 'role = $2' : 'id = $2'} RETURNING id, uidnext - $3 AS first_uid`,
    [userId, byRole ? target.role : target.id, count, modseq],
  );
  if (!rows[0]) throw new ServiceError('mailbox_not_found');
  return { id: rows[0].id, firstUid: rows[0].first_uid };
}

// Postage: the delivery decision (friends free → INBOX; everyone else → Screener at a price),
// the invoice auto-reply, and the hold flow. Every Screener delivery opens a case (table
// `postage`, migration 008) that follows the message by its blob:
//   screened  no invoice (sender not eligible for an auto-reply)        → approved | canceled
//   pending   invoice to create, auto-reply to queue (retried)          → open | screened
//   open      invoice sent, waiting for payment                         → held | approved | canceled | expired
//   held      paid; the message moved to the INBOX with $Postage tags   → settled | canceled
// The recipient's actions decide a held payment: read, flag or reply → settle; delete, Junk
// or Trash → cancel (refund); nothing before the deadline → the configured default.
// Moving a Screener message out (to the INBOX) approves the sender as a friend, free.
// Every state change is recorded in postage_events.
import { EventEmitter } from 'node:events';
import { fromHex, fromUtf8, paymentHashOf, postageDescription, toHex, utf8, type PostageBinding, type Rng } from '../core/index.js';
import { autoReplyBlock, buildPostageReply, repliedTo, type RepliedTo } from '../converters/postage-reply.js';
import type { InvoiceStatus, LightningBackend } from '../lightning/backend.js';
import { LightningError } from '../lightning/errors.js';
import type { Db, Queryable } from '../storage/db.js';
import type { ContactService } from './contact-service.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import type { ChangeSink } from './journal.js';
import type { MessageMeta, MessageService } from './message-service.js';
import type { OutboundQueue } from './outbound-queue.js';
import type { DeliveryDecision, DeliveryRequest, PostageGate, ScreenedDelivery } from './postage.js';
import { loadPolicy, num, priceFor, savePolicy, type PolicyDefaults, type PolicyPatch, type PostagePolicy } from './postage-policy.js';
import { boxOpen, boxSeal, keyedHash } from './secret-box.js';
import { casesVersion, findCaseIds, findCases, listCases, type CaseFilter, type CaseView, type PostageCase } from './postage-cases.js';
import { applyMailboxStep, type DecisionMessages } from './postage-mailbox.js';
import { decisionFor, verdictFor, type CaseState, type Decision, type Verdict } from './postage-verdict.js';
import type { UnlockedAccount } from './unlocked-account.js';


export interface PostageSettings extends PolicyDefaults {
  readonly invoiceExpiryMinutes: number;
  readonly autoReplyWindowMinutes: number;
  readonly settleMarginMinutes: number;
  readonly defaultAction: 'settle' | 'cancel';
}

/** Tags a paid message carries in the INBOX (IMAP keywords, JMAP keywords). */
export const POSTAGE_KEYWORD = '$Postage';
export const PRIORITY_KEYWORD = '$Priority';

export const PostageLimits = {
  /** Invoice creation retries back off from this, doubling, up to the maximum. */
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  /** After this many failed attempts the case stays in the Screener without an invoice. */
  maxAttempts: 20,
  /** Cases looked at per reconcile pass, and open invoices looked up per pass. */
  reconcileBatch: 500,
  lookupBatch: 50,
  /** An open invoice is looked up (payments another process saw) at most this often. */
  lookupIntervalMs: 30_000,
  /** Fallback hold time when the backend reports no HTLC deadline. */
  fallbackHoldMs: 24 * 3_600_000,
} as const;

export interface PayView {
  readonly id: string;
  readonly state: 'open' | 'held' | 'settled' | 'canceled' | 'expired';
  readonly amountSats: number;
  readonly recipient: string;
  readonly subject: string;
  readonly bolt11: string;
  readonly expiresAt: number;
}

export interface PostageLog {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface PostageDeps {
  readonly db: Db;
  readonly backend: LightningBackend;
  readonly gatewaySecret: Uint8Array;
  readonly rng: Rng;
  readonly settings: PostageSettings;
  readonly contacts: Pick<ContactService, 'classify' | 'addFriends' | 'addAcquaintance'>;
  readonly messages: Pick<MessageService, 'moveBlob' | 'announce'> & DecisionMessages;
  readonly queue: Pick<OutboundQueue, 'enqueue'>;
  /** Wakes the outbound worker after an auto-reply was queued. */
  readonly onQueued?: () => void;
  /** The pay page's absolute URL for a case's public id. */
  readonly payUrl: (publicId: string) => string;
  /** Our host name, for the Message-IDs of auto-replies. */
  readonly hostname: string;
  /** Development only: pays one of the backend's own invoices. */
  readonly devPay?: (bolt11: string) => Promise<unknown>;
  readonly log?: PostageLog;
  /** Hears a `postage` event after each committed change of a user's cases or policy (JMAP push). */
  readonly notifier?: ChangeSink;
  /** Called for each invoice the backend could not create (metrics). */
  readonly onInvoiceFailure?: () => void;
  readonly now?: () => number;
}

/** A hold invoice made for an LNMP envelope before it is stored (preimage hex, kept sealed in its case). */
export interface PreparedInvoice {
  readonly preimage: string;
  readonly paymentHash: string;
  readonly amountSats: number;
  readonly bolt11: string;
  readonly expiresAt: number;
}

interface Details {
  /** The From address (proven when an invoice is asked for). */
  readonly sender: string | undefined;
  /** The envelope sender: where the auto-reply goes. */
  readonly replyTo: string | undefined;
  readonly recipient: string;
  readonly original: RepliedTo;
  /** Hex; only for cases that ask for an invoice. */
  readonly preimage?: string;
}

interface CaseRow {
  id: number;
  user_id: number;
  state: CaseState;
  amount_sats: number | string;
  priority: boolean;
  payment_hash: string | null;
  public_id: string | null;
  details: Uint8Array | null;
  bolt11: string | null;
  expires_ms: number | string | null;
  settle_by_ms: number | string | null;
  attempts: number;
}

const CASE_COLUMNS =
  'id, user_id, state, amount_sats, priority, payment_hash, public_id, details, bolt11, ' +
  '(extract(epoch FROM expires_at) * 1000)::int8 AS expires_ms, (extract(epoch FROM settle_by) * 1000)::int8 AS settle_by_ms, attempts';

export class PostageService implements PostageGate {
  readonly #d: PostageDeps;
  readonly #key: Uint8Array;
  readonly #now: () => number;
  readonly #changes = new EventEmitter();
  readonly #subscriptions = new Map<string, () => void>();
  #closed = false;

  constructor(deps: PostageDeps) {
    this.#d = deps;
    this.#key = gatewaySubkey(deps.gatewaySecret, 'postage');
    this.#now = deps.now ?? Date.now;
    this.#changes.setMaxListeners(0);
  }

  // ---- The delivery decision -------------------------------------------------------------

  async decide({ userId, from, fromAuthenticated }: DeliveryRequest): Promise<DeliveryDecision> {
    if (from === undefined || from === '') return { role: 'screener', reason: 'no-sender' };
    if (!fromAuthenticated) return { role: 'screener', reason: 'unauthenticated' };
    const cls = await this.#d.contacts.classify(userId, from);
    if (cls === 'friend') return { role: 'inbox', reason: 'contact:friend' };
    if (cls === 'blocked') return { role: 'screener', reason: 'contact:blocked' };
    const policy = await this.policy(userId);
    const unread = await unreadInInbox(this.#d.db, userId, policy.surgeUnread + 1);
    const amountSats = priceFor(policy, cls === 'acquaintance' ? 'acquaintance' : 'stranger', unread);
    const reason = cls === 'acquaintance' ? 'contact:acquaintance' : 'stranger';
    if (amountSats === 0) return { role: 'inbox', reason: `${reason}:free` };
    return { role: 'screener', reason, postage: { amountSats, priority: amountSats >= policy.prioritySats, autoReply: policy.autoReply } };
  }

  /**
   * After a Screener delivery: opens the message's case, `pending` (an invoice and auto-reply
   * follow) when the sender is eligible and not answered within the window, else `screened`.
   * Never throws: the message is stored whatever happens here.
   */
  async screened(delivery: ScreenedDelivery): Promise<CaseState | undefined> {
    try {
      return await this.#open(delivery);
    } catch (err) {
      this.#d.log?.warn('postage case not opened', { userId: delivery.userId, err });
      return undefined;
    }
  }

  async #open(delivery: ScreenedDelivery): Promise<CaseState> {
    const { userId, decision, message, raw, envelopeFrom, from, fromAuthenticated } = delivery;
    const postage = decision.postage;
    let block: string | undefined;
    if (!postage) block = decision.reason;
    else if (!postage.autoReply) block = 'auto-reply off';
    else if (envelopeFrom === undefined) block = 'not from the Internet';
    else if (!fromAuthenticated) block = 'unauthenticated';
    else block = autoReplyBlock(raw, envelopeFrom);
    const recipient = await userAddress(this.#d.db, userId);
    const preimage = block === undefined ? toHex(this.#d.rng(32)) : undefined;
    const details: Details = { sender: from, replyTo: envelopeFrom, recipient, original: repliedTo(raw), ...(preimage ? { preimage } : {}) };
    const opened = await this.#d.db.transaction(async (tx) => {
      const [msg] = await tx.query<{ blob_id: number }>('SELECT blob_id FROM messages WHERE id = $1 AND user_id = $2', [message.id, userId]);
      if (block === undefined && !(await this.#claimAutoReply(tx, userId, envelopeFrom!))) block = 'auto-reply already sent in the window';
      const state: CaseState = block === undefined ? 'pending' : 'screened';
      const [row] = await tx.query<{ id: number }>(
        `INSERT INTO postage (user_id, message_id, blob_id, state, amount_sats, priority, payment_hash, public_id, details, next_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [
          userId, message.id, msg?.blob_id ?? null, state, state === 'pending' ? postage!.amountSats : 0, postage?.priority ?? false,
          state === 'pending' ? paymentHashOf(fromHex(preimage!, 32, 'preimage')) : null, state === 'pending' ? Buffer.from(this.#d.rng(16)).toString('base64url') : null, this.#seal(userId, details), new Date(this.#now()),
        ],
      );
      await recordEvent(tx, row!.id, state, block ?? 'invoice requested');
      return state;
    });
    await this.#changed(userId);
    return opened;
  }

  /** True (and the window starts now) unless this sender got an auto-reply from this user within the window. */
  async #claimAutoReply(tx: Queryable, userId: number, sender: string): Promise<boolean> {
    const hash = keyedHash(this.#key, `auto-reply\n${userId}\n${sender.trim().toLowerCase()}`);
    const now = new Date(this.#now());
    const windowStart = new Date(this.#now() - this.#d.settings.autoReplyWindowMinutes * 60_000);
    const rows = await tx.query(
      `INSERT INTO postage_auto_replies (user_id, sender_hash, sent_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, sender_hash) DO UPDATE SET sent_at = EXCLUDED.sent_at WHERE postage_auto_replies.sent_at < $4
       RETURNING user_id`,
      [userId, hash, now, windowStart],
    );
    return rows.length > 0;
  }

  // ---- Invoices and auto-replies ---------------------------------------------------------

  /** Creates the invoices of due `pending` cases and queues their auto-replies. Returns how many. */
  async issuePending(limit = 10): Promise<number> {
    const rows = await this.#d.db.query<CaseRow>(
      `UPDATE postage SET attempts = attempts + 1,
              next_attempt = $2::timestamptz + make_interval(secs => LEAST($3::float8 * power(2, attempts), $4::float8))
        WHERE id IN (SELECT id FROM postage WHERE state = 'pending' AND next_attempt <= $2 ORDER BY next_attempt LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING ${CASE_COLUMNS}`,
      [limit, new Date(this.#now()), PostageLimits.retryBaseMs / 1000, PostageLimits.retryMaxMs / 1000],
    );
    let issued = 0;
    for (const row of rows) if (await this.#issue(row)) issued++;
    return issued;
  }

  async #issue(row: CaseRow): Promise<boolean> {
    const details = this.#open_(row);
    const amountSats = Number(row.amount_sats);
    let bolt11: string;
    let expiresAt: number;
    try {
      const request = { paymentHash: row.payment_hash!, amountSats, description: `LNMP postage to ${details.recipient}`.slice(0, 600), expirySeconds: this.#d.settings.invoiceExpiryMinutes * 60 };
      try {
        ({ bolt11, expiresAt } = await this.#d.backend.createHoldInvoice(request));
      } catch (err) {
        // Created before a crash: the same hash is ours already.
        if (!(err instanceof LightningError && err.code === 'invoice_exists')) throw err;
        ({ bolt11, expiresAt } = await this.#d.backend.lookup(row.payment_hash!));
      }
    } catch (err) {
      this.#d.onInvoiceFailure?.();
      const giveUp = row.attempts >= PostageLimits.maxAttempts;
      this.#d.log?.warn(giveUp ? 'postage invoice not created; giving up' : 'postage invoice not created; will retry', { case: row.id, attempts: row.attempts, err });
      if (giveUp) await this.#transition(row.id, 'pending', 'screened', 'invoice could not be created');
      return false;
    }
    const reply = buildPostageReply({
      from: details.recipient,
      to: details.replyTo!,
      original: details.original,
      amountSats,
      bolt11,
      payUrl: this.#d.payUrl(row.public_id!),
      expiresAt: new Date(expiresAt),
      date: new Date(this.#now()),
      messageId: `${toHex(this.#d.rng(12))}@${this.#d.hostname}`,
      boundary: `lnmp-${toHex(this.#d.rng(12))}`,
    });
    const opened = await this.#d.db.transaction(async (tx) => {
      const updated = await tx.query("UPDATE postage SET state = 'open', bolt11 = $2, expires_at = $3, next_attempt = $4, updated_at = now() WHERE id = $1 AND state = 'pending' RETURNING id", [
        row.id, bolt11, new Date(expiresAt), new Date(this.#now() + PostageLimits.lookupIntervalMs),
      ]);
      if (updated.length === 0) return false;
      await recordEvent(tx, row.id, 'open', 'invoice created, auto-reply queued');
      // A null envelope sender: nothing bounces back to an auto-reply (RFC 3834 §3.3).
      await this.#d.queue.enqueue(tx, { userId: row.user_id, envelopeFrom: '', raw: reply, recipients: [{ transport: 'smtp', address: details.replyTo! }] });
      return true;
    });
    if (!opened) return false;
    await this.#changed(row.user_id);
    this.#d.onQueued?.();
    this.#d.log?.info('postage requested', { case: row.id, amountSats });
    this.#watchInvoice(row.payment_hash!);
    this.#emit(row.public_id!);
    return true;
  }

  // ---- LNMP mail (services/lnmp-inbound.ts) ------------------------------------------------

  /**
   * The hold invoice for a stranger's LNMP envelope, bound to it (core postageDescription of
   * sender key, recipient key, payload digest), made before anything is stored: when the node
   * cannot make it, the envelope is refused (`postage_unavailable`) and its sender retries.
   */
  async prepareLnmpInvoice(binding: PostageBinding, amountSats: number): Promise<PreparedInvoice> {
    const preimage = this.#d.rng(32);
    const paymentHash = paymentHashOf(preimage);
    try {
      const created = await this.#d.backend.createHoldInvoice({ paymentHash, amountSats, description: postageDescription(binding), expirySeconds: this.#d.settings.invoiceExpiryMinutes * 60 });
      return { preimage: toHex(preimage), paymentHash, amountSats, bolt11: created.bolt11, expiresAt: created.expiresAt };
    } catch (err) {
      this.#d.onInvoiceFailure?.();
      throw new ServiceError('postage_unavailable', 'the postage invoice could not be created now', { cause: err });
    } finally {
      preimage.fill(0);
    }
  }

  /** Withdraws a prepared invoice whose envelope was not stored after all (a duplicate). */
  async withdrawPrepared(prepared: PreparedInvoice): Promise<void> {
    await this.#cancelQuietly(prepared.paymentHash);
  }

  /**
   * Opens the case of an LNMP envelope stored in the Screener with its prepared invoice: `open`
   * at once (no auto-reply: the invoice goes back through the relay). From here the hold flow
   * is the one of SMTP mail. Returns the pay page URL.
   */
  async openLnmpCase(input: { userId: number; message: MessageMeta; sender: string; prepared: PreparedInvoice; priority: boolean }): Promise<string> {
    const { userId, message, sender, prepared } = input;
    const recipient = await userAddress(this.#d.db, userId);
    const details: Details = { sender, replyTo: undefined, recipient, original: { subject: '', messageId: undefined, references: [] }, preimage: prepared.preimage };
    const publicId = Buffer.from(this.#d.rng(16)).toString('base64url');
    await this.#d.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        `INSERT INTO postage (user_id, message_id, blob_id, state, amount_sats, priority, payment_hash, public_id, details, bolt11, expires_at, next_attempt)
         SELECT $1, $2, blob_id, 'open', $3, $4, $5, $6, $7, $8, $9, $10 FROM messages WHERE id = $2 AND user_id = $1 RETURNING id`,
        [userId, message.id, prepared.amountSats, input.priority, prepared.paymentHash, publicId, this.#seal(userId, details), prepared.bolt11, new Date(prepared.expiresAt), new Date(this.#now() + PostageLimits.lookupIntervalMs)],
      );
      if (!row) throw new ServiceError('message_not_found', 'the held envelope is gone');
      await recordEvent(tx, row.id, 'open', 'LNMP envelope held; invoice sent through the relay');
    });
    await this.#changed(userId);
    this.#watchInvoice(prepared.paymentHash);
    this.#d.log?.info('postage requested', { amountSats: prepared.amountSats, via: 'lnmp' });
    return this.#d.payUrl(publicId);
  }

  /** Subscribes to an invoice's state changes at the backend (payments arrive here first). */
  #watchInvoice(paymentHash: string): void {
    if (this.#closed || this.#subscriptions.has(paymentHash)) return;
    const unsubscribe = this.#d.backend.subscribe(paymentHash, (status) => {
      void this.onInvoice(status).catch((err: unknown) => this.#d.log?.warn('postage update failed', { err }));
    });
    this.#subscriptions.set(paymentHash, unsubscribe);
  }

  #unwatch(paymentHash: string | null): void {
    if (paymentHash === null) return;
    this.#subscriptions.get(paymentHash)?.();
    this.#subscriptions.delete(paymentHash);
  }

  /** Resubscribes to every open or held invoice (at start). */
  async resume(): Promise<void> {
    const rows = await this.#d.db.query<{ payment_hash: string }>("SELECT payment_hash FROM postage WHERE state IN ('open', 'held') AND payment_hash IS NOT NULL ORDER BY id LIMIT 10000");
    for (const r of rows) this.#watchInvoice(r.payment_hash);
  }

  /** A state reported by the backend: a payment is held, or the invoice was settled or canceled elsewhere. */
  async onInvoice(status: InvoiceStatus): Promise<void> {
    const [row] = await this.#d.db.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM postage WHERE payment_hash = $1`, [status.paymentHash]);
    if (!row) return;
    if (status.state === 'held' && row.state === 'open') await this.#held(row, status);
    else if (status.state === 'settled' && row.state === 'held') await this.#transition(row.id, 'held', 'settled', 'settled at the Lightning node');
    else if (status.state === 'canceled' && (row.state === 'open' || row.state === 'held')) await this.#transition(row.id, row.state, row.state === 'open' && this.#expired(row) ? 'expired' : 'canceled', 'canceled at the Lightning node');
  }

  /** Paid: the message leaves the Screener for the INBOX, tagged with what was paid. */
  async #held(row: CaseRow, status: InvoiceStatus): Promise<void> {
    const amount = Number(row.amount_sats);
    const keywords = [POSTAGE_KEYWORD, `${POSTAGE_KEYWORD}-${amount}`, ...(row.priority ? [PRIORITY_KEYWORD] : [])];
    const margin = this.#d.settings.settleMarginMinutes * 60_000;
    const deadline = status.settleDeadline ?? this.#now() + PostageLimits.fallbackHoldMs;
    const settleBy = Math.max(this.#now(), deadline - margin);
    const outcome = await this.#d.db.transaction(async (tx) => {
      const locked = await tx.query<{ blob_id: number | null }>("SELECT blob_id FROM postage WHERE id = $1 AND state = 'open' FOR UPDATE", [row.id]);
      if (locked.length === 0) return undefined;
      const blobId = locked[0]!.blob_id;
      const moved = blobId === null ? undefined : await this.#d.messages.moveBlob(tx, row.user_id, blobId, 'screener', 'inbox', keywords);
      await tx.query("UPDATE postage SET state = 'held', settle_by = $2, updated_at = now() WHERE id = $1", [row.id, new Date(settleBy)]);
      await recordEvent(tx, row.id, 'held', moved ? `paid ${amount} sats; moved to the INBOX` : `paid ${amount} sats`);
      return { moved };
    });
    if (!outcome) return;
    if (outcome.moved) await this.#d.messages.announce(outcome.moved);
    await this.#changed(row.user_id);
    this.#d.log?.info('postage paid', { case: row.id, amountSats: amount });
    this.#emit(row.public_id);
    // The recipient's mailbox decides from here (a message deleted before payment: refund at once).
    await this.reconcile(row.user_id);
  }

  // ---- The recipient's actions, deadlines and expiry --------------------------------------

  /** One pass over active cases (of one user, or all): applies each verdict. Returns how many changed. */
  async reconcile(userId?: number): Promise<number> {
    await this.#lookupOpen();
    const rows = await this.#d.db.query<CaseRow & { kept: number | string; kept_outside: number | string; seen: boolean | null; flagged: boolean | null; answered: boolean | null }>(
      `SELECT p.id, p.user_id, p.state, p.amount_sats, p.priority, p.payment_hash, p.public_id, p.details, p.bolt11,
              (extract(epoch FROM p.expires_at) * 1000)::int8 AS expires_ms, (extract(epoch FROM p.settle_by) * 1000)::int8 AS settle_by_ms, p.attempts,
              count(m.id) FILTER (WHERE keep) AS kept,
              count(m.id) FILTER (WHERE keep AND b.role IS DISTINCT FROM 'screener') AS kept_outside,
              bool_or('\\Seen' = ANY (m.flags)) AS seen, bool_or('\\Flagged' = ANY (m.flags)) AS flagged, bool_or('\\Answered' = ANY (m.flags)) AS answered
         FROM postage p
         LEFT JOIN messages m ON m.blob_id = p.blob_id AND m.user_id = p.user_id
         LEFT JOIN mailboxes b ON b.id = m.mailbox_id
         CROSS JOIN LATERAL (SELECT m.id IS NOT NULL AND b.role IS DISTINCT FROM 'trash' AND b.role IS DISTINCT FROM 'junk' AND NOT ('\\Deleted' = ANY (m.flags)) AS keep) k
        WHERE p.state IN ('screened', 'open', 'held') AND ($1::int8 IS NULL OR p.user_id = $1)
        GROUP BY p.id ORDER BY p.id LIMIT $2`,
      [userId ?? null, PostageLimits.reconcileBatch],
    );
    let changed = 0;
    const policies = new Map<number, PostagePolicy>();
    for (const row of rows) {
      let policy = policies.get(row.user_id);
      if (!policy) policies.set(row.user_id, (policy = await this.policy(row.user_id)));
      const verdict = verdictFor(
        { state: row.state, expiresAt: num(row.expires_ms), settleBy: num(row.settle_by_ms) },
        { kept: Number(row.kept), keptOutside: Number(row.kept_outside), seen: row.seen === true, flagged: row.flagged === true, answered: row.answered === true },
        { now: this.#now(), refundOnReply: policy.refundOnReply, defaultAction: this.#d.settings.defaultAction },
      );
      if (verdict.action === 'none') continue;
      try {
        if (await this.#apply(row, verdict)) changed++;
      } catch (err) {
        this.#d.log?.warn('postage action failed; will retry', { case: row.id, action: verdict.action, err });
      }
    }
    return changed;
  }

  async #apply(row: CaseRow, verdict: Exclude<Verdict, { action: 'none' }>): Promise<boolean> {
    switch (verdict.action) {
      // An open invoice is withdrawn first, so once the case says so nobody can still pay it.
      case 'approve': {
        const details = this.#open_(row);
        if (row.state === 'open') await this.#cancelQuietly(row.payment_hash!);
        return this.#transition(row.id, row.state, 'approved', verdict.reason, async (tx) => {
          if (details.sender) await this.#d.contacts.addFriends(row.user_id, [details.sender], tx);
        });
      }
      case 'decline': {
        if (row.state === 'open') await this.#cancelQuietly(row.payment_hash!);
        return this.#transition(row.id, row.state, 'canceled', verdict.reason);
      }
      case 'expire': {
        await this.#cancelQuietly(row.payment_hash!);
        return this.#transition(row.id, 'open', 'expired', verdict.reason);
      }
      case 'settle': {
        const details = this.#open_(row);
        await this.#atBackend(row, () => this.#settleAtBackend(row, details.preimage!));
        return this.#transition(row.id, 'held', 'settled', verdict.reason, async (tx) => {
          if (details.sender) await this.#d.contacts.addAcquaintance(row.user_id, details.sender, tx);
        });
      }
      case 'cancel': {
        await this.#atBackend(row, () => this.#cancelAtBackend(row));
        return this.#transition(row.id, 'held', 'canceled', `${verdict.reason}; refunded`);
      }
    }
  }

  /**
   * Runs a settle or cancel with this process's subscription to the invoice stopped, so the
   * state change it causes is recorded with the recipient's reason, not as news from the node.
   * On failure the subscription resumes and the next pass tries again.
   */
  async #atBackend(row: CaseRow, action: () => Promise<void>): Promise<void> {
    this.#unwatch(row.payment_hash);
    try {
      await action();
    } catch (err) {
      this.#watchInvoice(row.payment_hash!);
      throw err;
    }
  }

  async #settleAtBackend(row: CaseRow, preimage: string): Promise<void> {
    try {
      await this.#d.backend.settle(preimage);
    } catch (err) {
      // Settled already (another process, or before a crash) is what we wanted.
      if (!(err instanceof LightningError && err.code === 'invoice_wrong_state' && (await this.#d.backend.lookup(row.payment_hash!)).state === 'settled')) throw err;
    }
  }

  async #cancelAtBackend(row: CaseRow): Promise<void> {
    try {
      await this.#d.backend.cancel(row.payment_hash!);
    } catch (err) {
      if (!(err instanceof LightningError && err.code === 'invoice_wrong_state' && (await this.#d.backend.lookup(row.payment_hash!)).state === 'canceled')) throw err;
    }
  }

  /** Withdrawing an open invoice: a failure only leaves it to expire. */
  async #cancelQuietly(paymentHash: string): Promise<void> {
    this.#unwatch(paymentHash);
    await this.#d.backend.cancel(paymentHash).catch((err: unknown) => this.#d.log?.warn('open invoice not withdrawn', { err }));
  }

  /** Open invoices due a lookup: payments seen by another process, or while this one was down. */
  async #lookupOpen(): Promise<void> {
    const rows = await this.#d.db.query<{ id: number; payment_hash: string }>(
      `UPDATE postage SET next_attempt = $3 WHERE id IN (
         SELECT id FROM postage WHERE state = 'open' AND next_attempt <= $1 ORDER BY next_attempt LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, payment_hash`,
      [new Date(this.#now()), PostageLimits.lookupBatch, new Date(this.#now() + PostageLimits.lookupIntervalMs)],
    );
    for (const r of rows) {
      try {
        await this.onInvoice(await this.#d.backend.lookup(r.payment_hash));
      } catch (err) {
        this.#d.log?.warn('postage invoice lookup failed', { case: r.id, err });
      }
    }
  }

  /** Moves a case from `from` to `to` (recorded), running `also` in the same transaction. False if it was no longer in `from`. */
  async #transition(id: number, from: CaseState, to: CaseState, reason: string, also?: (tx: Queryable) => Promise<void>): Promise<boolean> {
    const result = await this.#d.db.transaction(async (tx) => {
      const rows = await tx.query<{ user_id: number; public_id: string | null; payment_hash: string | null }>(
        'UPDATE postage SET state = $3, updated_at = now() WHERE id = $1 AND state = $2 RETURNING user_id, public_id, payment_hash',
        [id, from, to],
      );
      if (rows.length === 0) return undefined;
      await recordEvent(tx, id, to, reason);
      await also?.(tx);
      return rows[0]!;
    });
    if (!result) return false;
    await this.#changed(result.user_id);
    if (['settled', 'canceled', 'expired', 'approved'].includes(to)) this.#unwatch(result.payment_hash);
    this.#emit(result.public_id);
    return true;
  }

  #expired(row: CaseRow): boolean {
    const expires = num(row.expires_ms);
    return expires !== undefined && this.#now() >= expires;
  }

  // ---- The pay page ----------------------------------------------------------------------

  async view(publicId: string): Promise<PayView | undefined> {
    const [row] = await this.#d.db.query<CaseRow & { address: string }>(
      `SELECT ${CASE_COLUMNS}, (SELECT address FROM users u WHERE u.id = postage.user_id) AS address
         FROM postage WHERE public_id = $1 AND bolt11 IS NOT NULL`,
      [publicId],
    );
    if (!row) return undefined;
    const details = this.#open_(row);
    const shown: PayView['state'] =
      row.state === 'approved' ? 'settled' : row.state === 'open' && this.#expired(row) ? 'expired' : (row.state as PayView['state']);
    return { id: publicId, state: shown, amountSats: Number(row.amount_sats), recipient: row.address, subject: details.original.subject, bolt11: row.bolt11!, expiresAt: num(row.expires_ms) ?? 0 };
  }

  /** Calls `onChange` when the case changes (in this process at once; from others within the poll interval). */
  watch(publicId: string, onChange: (view: PayView) => void, pollMs = 2000): () => void {
    let last: string | undefined;
    let stopped = false;
    const check = async () => {
      const view = await this.view(publicId).catch(() => undefined);
      if (stopped || !view || view.state === last) return;
      last = view.state;
      onChange(view);
    };
    void this.view(publicId).then((v) => (last ??= v?.state)).catch(() => {});
    const listener = () => void check();
    this.#changes.on(publicId, listener);
    const timer = setInterval(listener, pollMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      this.#changes.off(publicId, listener);
    };
  }

  /** Development only: pays a case's invoice through the dev backend. */
  async devPayCase(publicId: string): Promise<void> {
    const view = await this.view(publicId);
    if (!view) throw new ServiceError('postage_not_found');
    await this.payInvoice(view.bolt11);
  }

  /** Development only (`lnmp-gateway dev pay`): pays one of the dev backend's invoices. */
  async payInvoice(bolt11: string): Promise<void> {
    if (!this.#d.devPay) throw new LightningError('unsupported', 'paying from the gateway is only possible with the dev Lightning backend');
    await this.#d.devPay(bolt11);
  }

  get devPayAvailable(): boolean {
    return this.#d.devPay !== undefined;
  }

  #emit(publicId: string | null): void {
    if (publicId !== null) this.#changes.emit(publicId);
  }

  // ---- The user's own clients (JMAP): cases and decisions --------------------------------

  /** The user's cases matching `filter`, as their own clients see them (the owner may read the sealed sender). */
  async caseViews(userId: number, filter: CaseFilter = {}): Promise<CaseView[]> {
    const records = await findCases(this.#d.db, userId, filter);
    return records.map(({ userId: owner, publicId, details, ...r }) => ({
      ...r,
      sender: details === null ? undefined : this.#open_({ user_id: owner, details }).sender,
      payUrl: publicId === undefined ? undefined : this.#d.payUrl(publicId),
    }));
  }

  caseIds(userId: number, filter: CaseFilter = {}): Promise<number[]> {
    return findCaseIds(this.#d.db, userId, filter);
  }

  /** Changes whenever any of the user's cases does (JMAP state of Postage). */
  casesVersion(userId: number): Promise<number> {
    return casesVersion(this.#d.db, userId);
  }

  /**
   * The recipient decides a case by hand: the mailbox change a mail client would make for it
   * (decisionFor), then the verdict that change leads to, applied at once with its own reason.
   * Should the Lightning node fail, the mailbox change stands and a later reconcile pass
   * completes the decision. Returns the case as it is afterwards.
   * @throws ServiceError postage_not_found (no such case of this user), invalid_argument (already decided)
   */
  async decideCase(account: UnlockedAccount, caseId: number, decision: Decision): Promise<CaseView> {
    const [row] = await this.#d.db.query<CaseRow & { blob_id: number | string | null }>(`SELECT ${CASE_COLUMNS}, blob_id FROM postage WHERE id = $1 AND user_id = $2`, [caseId, account.userId]);
    if (!row) throw new ServiceError('postage_not_found', 'no such postage case');
    const step = decisionFor(row.state, decision);
    if (!step) throw new ServiceError('invalid_argument', `the case is ${row.state}: nothing is left to decide`);
    if (row.blob_id !== null) await applyMailboxStep(this.#d.db, this.#d.messages, account, Number(row.blob_id), step.mailbox);
    try {
      await this.#apply(row, step.verdict);
    } catch (err) {
      this.#d.log?.warn('postage decision not completed; will retry', { case: row.id, action: step.verdict.action, err });
    }
    const [view] = await this.caseViews(account.userId, { ids: [caseId] });
    return view!;
  }

  // ---- Policy and audit ------------------------------------------------------------------

  policy(userId: number): Promise<PostagePolicy> {
    return loadPolicy(this.#d.db, userId, this.#d.settings);
  }

  async setPolicy(userId: number, patch: PolicyPatch): Promise<PostagePolicy> {
    await savePolicy(this.#d.db, userId, patch);
    await this.#changed(userId);
    return this.policy(userId);
  }

  /** After a commit that changed a user's cases, policy or (with them) contacts: push hears of it. */
  async #changed(userId: number): Promise<void> {
    await this.#d.notifier?.publish({ userId: Number(userId), modseq: 0, kind: 'postage' });
  }

  /** A user's most recent cases with their recorded events, newest first. */
  cases(userId: number, limit = 50): Promise<PostageCase[]> {
    return listCases(this.#d.db, userId, limit);
  }

  /** Stops the backend subscriptions (the backend itself is closed by its owner). */
  close(): void {
    this.#closed = true;
    for (const unsubscribe of this.#subscriptions.values()) unsubscribe();
    this.#subscriptions.clear();
    this.#changes.removeAllListeners();
  }

  // ---- Sealed details --------------------------------------------------------------------

  #seal(userId: number, details: Details): Uint8Array {
    return boxSeal(this.#key, utf8(JSON.stringify(details)), `postage/${userId}`, this.#d.rng);
  }

  #open_(row: Pick<CaseRow, 'user_id' | 'details'>): Details {
    if (row.details === null) throw new ServiceError('integrity', 'postage case without details');
    return JSON.parse(fromUtf8(boxOpen(this.#key, row.details, `postage/${row.user_id}`))) as Details;
  }
}

async function recordEvent(q: Queryable, id: number, state: string, reason: string): Promise<void> {
  await q.query('INSERT INTO postage_events (postage_id, state, reason) VALUES ($1, $2, $3)', [id, state, reason]);
}

async function userAddress(q: Queryable, userId: number): Promise<string> {
  const [row] = await q.query<{ address: string }>('SELECT address FROM users WHERE id = $1', [userId]);
  if (!row) throw new ServiceError('user_not_found');
  return row.address;
}

/** Unread INBOX messages, counted up to `cap` (all the surge rule needs to know). */
async function unreadInInbox(q: Queryable, userId: number, cap: number): Promise<number> {
  const [row] = await q.query<{ n: number | string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
       WHERE m.user_id = $1 AND b.role = 'inbox' AND NOT ('\\Seen' = ANY (m.flags)) LIMIT $2) x`,
    [userId, cap],
  );
  return Number(row?.n ?? 0);
}


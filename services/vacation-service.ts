// The vacation response (JMAP VacationResponse, RFC 8621 §8): the user's setting, and the
// auto-reply the MX sends while it is on. Only mail from the Internet that reaches the INBOX
// is answered (the Screener's strangers get the postage reply instead), only senders the
// postage auto-reply would answer (proven From, RFC 3834: no null or system sender, no
// lists, bulk or auto-submitted mail), and each sender once per window: once per setting,
// and again only after VACATION_REPLY_INTERVAL_MS. The text is sealed under a key derived
// from the gateway secret: the reply goes out while the user is away.
import { fromUtf8, toHex, utf8, type Rng } from '../core/index.js';
import { autoReplyBlock, buildVacationReply, repliedTo } from '../converters/index.js';
import type { Db } from '../storage/db.js';
import { gatewaySubkey } from './gateway-keys.js';
import { nextModseq, NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import type { OutboundQueue } from './outbound-queue.js';
import { boxOpen, boxSeal, keyedHash } from './secret-box.js';

/** RFC 3834 §2: a sender is answered again only after "several days". */
export const VACATION_REPLY_INTERVAL_MS = 7 * 24 * 3_600_000;

export interface VacationSettings {
  readonly isEnabled: boolean;
  readonly fromDate: Date | null;
  readonly toDate: Date | null;
  readonly subject: string | null;
  readonly textBody: string | null;
  readonly htmlBody: string | null;
}

/** A message the MX stored in a user's INBOX. */
export interface ArrivedMessage {
  readonly userId: number;
  readonly raw: Uint8Array;
  /** The SMTP envelope sender ('' for a null sender): where the reply goes. */
  readonly envelopeFrom: string;
  readonly fromAuthenticated: boolean;
}

export interface VacationLog {
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

type Texts = Pick<VacationSettings, 'subject' | 'textBody' | 'htmlBody'>;

const OFF: VacationSettings = { isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null };
const context = (userId: number) => `vacation:${userId}`;

export class VacationService {
  readonly #db: Db;
  readonly #key: Uint8Array;
  readonly #rng: Rng;
  readonly #queue: Pick<OutboundQueue, 'enqueue'>;
  readonly #onQueued: () => void;
  readonly #hostname: string;
  readonly #now: () => number;
  readonly #log: VacationLog | undefined;
  readonly #sink: ChangeSink;

  constructor(deps: {
    db: Db;
    gatewaySecret: Uint8Array;
    rng: Rng;
    queue: Pick<OutboundQueue, 'enqueue'>;
    /** Wakes the outbound worker after a reply was queued. */
    onQueued?: () => void;
    /** Our host name, for the Message-IDs of replies. */
    hostname: string;
    now?: () => number;
    log?: VacationLog;
    /** Hears every committed change of the setting (kind `vacation`), for JMAP push. */
    notifier?: ChangeSink;
  }) {
    this.#db = deps.db;
    this.#key = gatewaySubkey(deps.gatewaySecret, 'vacation');
    this.#rng = deps.rng;
    this.#queue = deps.queue;
    this.#onQueued = deps.onQueued ?? (() => {});
    this.#hostname = deps.hostname;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.log;
    this.#sink = deps.notifier ?? NO_NOTIFICATIONS;
  }

  async get(userId: number): Promise<VacationSettings> {
    const [row] = await this.#db.query<{ is_enabled: boolean; from_ms: number | null; to_ms: number | null; data: Uint8Array | null }>(
      `SELECT is_enabled, (extract(epoch FROM from_date) * 1000)::int8 AS from_ms, (extract(epoch FROM to_date) * 1000)::int8 AS to_ms, data
         FROM vacation_responses WHERE user_id = $1`,
      [userId],
    );
    if (!row) return OFF;
    const texts = row.data ? (JSON.parse(fromUtf8(boxOpen(this.#key, row.data, context(userId)))) as Texts) : OFF;
    const date = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));
    return { isEnabled: row.is_enabled, fromDate: date(row.from_ms), toDate: date(row.to_ms), subject: texts.subject, textBody: texts.textBody, htmlBody: texts.htmlBody };
  }

  /** Replaces the setting (a new reply window starts); takes the next account modseq. */
  async set(userId: number, settings: VacationSettings): Promise<void> {
    const texts: Texts = { subject: settings.subject, textBody: settings.textBody, htmlBody: settings.htmlBody };
    const sealed = boxSeal(this.#key, utf8(JSON.stringify(texts)), context(userId), this.#rng);
    const modseq = await this.#db.transaction(async (tx) => {
      const modseq = await nextModseq(tx, userId);
      await tx.query(
        `INSERT INTO vacation_responses (user_id, is_enabled, from_date, to_date, data, modseq, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET is_enabled = $2, from_date = $3, to_date = $4, data = $5, modseq = $6, updated_at = $7`,
        [userId, settings.isEnabled, settings.fromDate, settings.toDate, sealed, modseq, new Date(this.#now())],
      );
      return modseq;
    });
    await this.#sink.publish({ userId, modseq, kind: 'vacation' });
  }

  /** After an INBOX delivery from the MX: queues the reply when due. Never throws; true when a reply was queued. */
  async arrived(message: ArrivedMessage): Promise<boolean> {
    try {
      return await this.#answer(message);
    } catch (err) {
      this.#log?.warn('vacation reply not sent', { userId: message.userId, err });
      return false;
    }
  }

  async #answer({ userId, raw, envelopeFrom, fromAuthenticated }: ArrivedMessage): Promise<boolean> {
    if (!fromAuthenticated || autoReplyBlock(raw, envelopeFrom) !== undefined) return false;
    const settings = await this.get(userId);
    const now = this.#now();
    if (!settings.isEnabled || (settings.fromDate && now < settings.fromDate.getTime()) || (settings.toDate && now >= settings.toDate.getTime())) return false;
    const queued = await this.#db.transaction(async (tx) => {
      const claimed = await tx.query(
        `INSERT INTO vacation_replies (user_id, sender_hash, sent_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, sender_hash) DO UPDATE SET sent_at = EXCLUDED.sent_at
          WHERE vacation_replies.sent_at < greatest($4::timestamptz, (SELECT updated_at FROM vacation_responses WHERE user_id = $1))
         RETURNING user_id`,
        [userId, keyedHash(this.#key, `${userId}\n${envelopeFrom.trim().toLowerCase()}`), new Date(now), new Date(now - VACATION_REPLY_INTERVAL_MS)],
      );
      if (claimed.length === 0) return false;
      const [user] = await tx.query<{ address: string }>('SELECT address FROM users WHERE id = $1', [userId]);
      const reply = buildVacationReply({
        from: user!.address, to: envelopeFrom, original: repliedTo(raw), subject: settings.subject, textBody: settings.textBody, htmlBody: settings.htmlBody,
        date: new Date(now), messageId: `${toHex(this.#rng(12))}@${this.#hostname}`, boundary: `lnmp-${toHex(this.#rng(12))}`,
      });
      // A null envelope sender: nothing bounces back to an auto-reply (RFC 3834 §3.3).
      await this.#queue.enqueue(tx, { userId, envelopeFrom: '', raw: reply, recipients: [{ transport: 'smtp', address: envelopeFrom }] });
      return true;
    });
    if (queued) this.#onQueued();
    return queued;
  }
}

// Sending a stored message on a user's request (JMAP EmailSubmission, RFC 8621 §7) and the
// record of each submission. Sending checks that the envelope sender and the From address are
// the user's, routes every recipient (SubmissionService: local, LNMP or SMTP), removes any Bcc
// field from the bytes that leave (RFC 8621 §7.5) and submits at once (no delayed sending).
// The record keeps ids, the send time and the undo status in clear; the envelope and the
// delivery status name correspondents and are sealed (sealed-records.ts). The status of a
// recipient the outbound queue delivers follows the queue: its outcomes, sealed to the user's
// public key (submission-outcomes.ts), are merged over the status recorded at sending.
import type { Rng } from '../core/index.js';
import { withoutHeaderFields } from '../converters/index.js';
import type { Db } from '../storage/db.js';
import { isServiceError, ServiceError } from './errors.js';
import { nextModseq, NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import { destroyRecord, nextRecordId, openRecord, recordChangesSince, sealRecord, type RecordChange } from './sealed-records.js';
import { openOutcome } from './submission-outcomes.js';
import type { RecipientRoute, SubmissionService } from './submission.js';
import type { UnlockedAccount } from './unlocked-account.js';

export interface SubmissionEnvelope {
  readonly mailFrom: { readonly email: string; readonly parameters: Readonly<Record<string, string | null>> | null };
  readonly rcptTo: ReadonlyArray<{ readonly email: string; readonly parameters: Readonly<Record<string, string | null>> | null }>;
}

export interface DeliveryStatus {
  readonly smtpReply: string;
  readonly delivered: 'queued' | 'yes' | 'no' | 'unknown';
  readonly displayed: 'unknown' | 'yes';
}

export interface SubmissionRecord {
  readonly id: number;
  readonly identityId: string;
  readonly emailId: string;
  readonly threadId: string;
  readonly sendAt: Date;
  readonly undoStatus: 'pending' | 'final' | 'canceled';
  readonly envelope: SubmissionEnvelope;
  readonly deliveryStatus: Readonly<Record<string, DeliveryStatus>>;
}

/** Why a submission was not sent: which address the user may not use, or the recipients refused. */
export type SendRefusal =
  | { readonly reason: 'mailFrom' | 'from'; readonly description: string }
  | { readonly reason: 'recipients'; readonly invalid: readonly string[] }
  | { readonly reason: 'forbidden'; readonly description: string };

/** `submissionId`: the id to record the submission under (the queued message already names it). */
export type SendResult = { readonly ok: true; readonly submissionId: number; readonly deliveryStatus: Record<string, DeliveryStatus> } | ({ readonly ok: false } & SendRefusal);

const TABLE = 'email_submissions';
/** What each recipient's status says at once: local copies are stored, the rest queued. */
const DELIVERED: DeliveryStatus = { smtpReply: '250 2.0.0 delivered', delivered: 'yes', displayed: 'unknown' };
const QUEUED: DeliveryStatus = { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' };

const LOCAL_REFUSALS: ReadonlySet<string> = new Set(['quota_exceeded', 'user_not_found', 'too_large', 'mailbox_not_found']);

type Sealed = Pick<SubmissionRecord, 'envelope' | 'deliveryStatus'>;

const OUTCOMES = 'email_submission_outcomes';

interface OutcomeRow {
  outbound_id: number;
  submission_id: number;
  data: Uint8Array;
}

export class EmailSubmissionService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #submission: Pick<SubmissionService, 'route' | 'checkSender' | 'submit'>;
  readonly #now: () => number;
  readonly #sink: ChangeSink;

  /** `notifier` hears every committed change of a record (kind `submission`), for JMAP push. */
  constructor(db: Db, opts: { rng: Rng; submission: Pick<SubmissionService, 'route' | 'checkSender' | 'submit'>; now?: () => number; notifier?: ChangeSink }) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#submission = opts.submission;
    this.#now = opts.now ?? Date.now;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
  }

  /** Sends `raw` (Bcc removed) to the envelope's recipients, or says why not. Temporary failures throw. */
  async send(account: UnlockedAccount, input: { raw: Uint8Array; envelope: SubmissionEnvelope; from: string }): Promise<SendResult> {
    const mailFrom = input.envelope.mailFrom.email;
    if (!(await this.#owns(account, mailFrom))) return { ok: false, reason: 'mailFrom', description: `${mailFrom} is not an address of this account` };
    if (!(await this.#owns(account, input.from))) return { ok: false, reason: 'from', description: `${input.from} is not an address of this account` };
    const routes: RecipientRoute[] = [];
    const invalid: string[] = [];
    for (const { email } of input.envelope.rcptTo) {
      try {
        routes.push(await this.#submission.route(email));
      } catch (err) {
        if (!isServiceError(err, 'user_not_found') && !isServiceError(err, 'invalid_address')) throw err;
        invalid.push(email);
      }
    }
    if (invalid.length > 0) return { ok: false, reason: 'recipients', invalid };
    const submissionId = await nextRecordId(this.#db, TABLE);
    try {
      await this.#submission.submit({ account, envelopeFrom: mailFrom, from: input.from, recipients: routes, raw: withoutHeaderFields(input.raw, ['bcc']), submissionId });
    } catch (err) {
      // A local copy refused (a recipient over quota, disabled since routing, a message too large).
      if (err instanceof ServiceError && LOCAL_REFUSALS.has(err.code)) return { ok: false, reason: 'forbidden', description: err.message };
      throw err;
    }
    return { ok: true, submissionId, deliveryStatus: Object.fromEntries(routes.map((r) => [r.address, r.kind === 'local' ? DELIVERED : QUEUED])) };
  }

  async #owns(account: UnlockedAccount, address: string): Promise<boolean> {
    try {
      await this.#submission.checkSender(account, address);
      return true;
    } catch (err) {
      if (isServiceError(err, 'sender_not_owned')) return false;
      throw err;
    }
  }

  /** Records a sent submission under `id` (send's submissionId), or a new id. */
  async record(account: UnlockedAccount, rec: Omit<SubmissionRecord, 'id' | 'sendAt'> & { readonly id?: number }): Promise<SubmissionRecord> {
    const sendAt = new Date(this.#now());
    const { id, modseq } = await this.#db.transaction(async (tx) => {
      const id = rec.id ?? (await nextRecordId(tx, TABLE));
      const modseq = await nextModseq(tx, account.userId);
      const sealed: Sealed = { envelope: rec.envelope, deliveryStatus: rec.deliveryStatus };
      await tx.query(
        `INSERT INTO ${TABLE} (id, user_id, identity_id, email_id, thread_id, send_at, undo_status, data, modseq, created_modseq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
        [id, account.userId, rec.identityId, rec.emailId, rec.threadId, sendAt, rec.undoStatus, sealRecord(account, TABLE, id, sealed, this.#rng), modseq],
      );
      return { id, modseq };
    });
    await this.#sink.publish({ userId: account.userId, modseq, kind: 'submission' });
    // The status at sending, even when the queue was already quicker (EmailSubmission/get shows that).
    return { identityId: rec.identityId, emailId: rec.emailId, threadId: rec.threadId, undoStatus: rec.undoStatus, envelope: rec.envelope, deliveryStatus: rec.deliveryStatus, id, sendAt };
  }

  /** Every submission of the account that was not destroyed, oldest first. */
  async list(account: UnlockedAccount): Promise<SubmissionRecord[]> {
    const rows = await this.#db.query<{ id: number; identity_id: string; email_id: string; thread_id: string; send_ms: number; undo_status: SubmissionRecord['undoStatus']; data: Uint8Array }>(
      `SELECT id, identity_id, email_id, thread_id, (extract(epoch FROM send_at) * 1000)::int8 AS send_ms, undo_status, data
         FROM ${TABLE} WHERE user_id = $1 AND NOT destroyed ORDER BY id`,
      [account.userId],
    );
    const outcomes = rows.length === 0 ? [] : await this.#outcomes(account);
    return rows.map((r) => {
      const sealed = openRecord<Sealed>(account, TABLE, r.id, r.data);
      return {
        id: r.id, identityId: r.identity_id, emailId: r.email_id, threadId: r.thread_id, sendAt: new Date(Number(r.send_ms)), undoStatus: r.undo_status,
        envelope: sealed.envelope, deliveryStatus: this.#merged(account, r.id, sealed.deliveryStatus, outcomes),
      };
    });
  }

  /** The outbound queue's outcomes for the user's submissions, still sealed. */
  async #outcomes(account: UnlockedAccount): Promise<OutcomeRow[]> {
    return this.#db.query<OutcomeRow>(`SELECT outbound_id, submission_id, data FROM ${OUTCOMES} WHERE user_id = $1 ORDER BY outbound_id`, [account.userId]);
  }

  /**
   * The status recorded at sending with the queue's outcomes for this submission over it. An
   * outcome counts only for a recipient the submission has (keys are the envelope's addresses).
   */
  #merged(account: UnlockedAccount, id: number, initial: Readonly<Record<string, DeliveryStatus>>, outcomes: readonly OutcomeRow[]): Readonly<Record<string, DeliveryStatus>> {
    const mine = outcomes.filter((o) => Number(o.submission_id) === id);
    if (mine.length === 0) return initial;
    const status: Record<string, DeliveryStatus> = { ...initial };
    const keys = new Map(Object.keys(initial).map((k) => [k.toLowerCase(), k]));
    for (const row of mine) {
      const outcome = openOutcome(account.privateKey, { userId: account.userId, submissionId: id, outboundId: Number(row.outbound_id) }, row.data);
      const key = keys.get(outcome.recipient.toLowerCase());
      if (key !== undefined) status[key] = { smtpReply: outcome.smtpReply, delivered: outcome.delivered, displayed: status[key]!.displayed };
    }
    return status;
  }

  /** Forgets a submission (the message was sent all the same); false when there is none. */
  async destroy(account: UnlockedAccount, id: number): Promise<boolean> {
    const modseq = await destroyRecord(this.#db, TABLE, account, id);
    if (modseq === undefined) return false;
    await this.#db.query(`DELETE FROM ${OUTCOMES} WHERE user_id = $1 AND submission_id = $2`, [account.userId, id]);
    await this.#sink.publish({ userId: account.userId, modseq, kind: 'submission' });
    return true;
  }

  async changesSince(account: UnlockedAccount, since: number): Promise<RecordChange[]> {
    return (await recordChangesSince(this.#db, TABLE, account.userId, since)).map(({ id, modseq, op }) => ({ id, modseq, op }));
  }
}

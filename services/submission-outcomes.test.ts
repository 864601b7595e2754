// EmailSubmission delivery status following the outbound queue, on both backends: each
// recipient the queue retries, delivers or fails is recorded for the submission sealed to the
// user's public key (no address or reply in clear), bumps the submission's modseq and is
// announced; the status merges over the one at sending; a moved row does not open; another
// user sees nothing; a destroyed submission keeps no outcomes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newIdentity } from '../core/index.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { EmailSubmissionService, type SubmissionEnvelope } from './email-submission-service.js';
import type { ChangeEvent } from './journal.js';
import { OutboundQueue } from './outbound-queue.js';
import { systemRng } from './random.js';
import { openOutcome, sealOutcome } from './submission-outcomes.js';
import type { SubmissionService } from './submission.js';
import type { UnlockedAccount } from './unlocked-account.js';

const kdf = { N: 1024, r: 8, p: 1 };
const raw = Buffer.from('From: alice@example.test\r\nTo: x@remote.test\r\nSubject: hi\r\n\r\nHello.\r\n');
const envelope = (...to: string[]): SubmissionEnvelope => ({ mailFrom: { email: 'alice@example.test', parameters: null }, rcptTo: to.map((email) => ({ email, parameters: null })) });
const QUEUED = { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' };

describe('sealOutcome / openOutcome', () => {
  const { privateKey: sk, publicKey: pk } = newIdentity(systemRng);
  const ids = { userId: 3, submissionId: 5, outboundId: 7 };
  const outcome = { recipient: 'x@remote.test', delivered: 'no', smtpReply: '550 5.1.1 no such user' } as const;

  it('opens with the private key of the public key it was sealed to, for the same ids only', () => {
    const sealed = sealOutcome(pk, ids, outcome, systemRng);
    expect(openOutcome(sk, ids, sealed)).toEqual(outcome);
    expect(Buffer.from(sealed).toString('latin1')).not.toMatch(/remote\.test|no such user|5\.1\.1/);
    for (const moved of [{ ...ids, userId: 4 }, { ...ids, submissionId: 6 }, { ...ids, outboundId: 8 }]) {
      expect(() => openOutcome(sk, moved, sealed)).toThrow(expect.objectContaining({ code: 'integrity', message: `delivery outcome ${moved.outboundId} of submission ${moved.submissionId} does not open` }));
    }
    expect(() => openOutcome(newIdentity(systemRng).privateKey, ids, sealed)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });
});

describe.each(BACKENDS)('EmailSubmission delivery status from the outbound queue (%s)', (backend) => {
  let t: TestDb;
  let accounts: AccountService;
  let queue: OutboundQueue;
  let submissions: EmailSubmissionService;
  let alice: UnlockedAccount;
  let bob: UnlockedAccount;
  const events: ChangeEvent[] = [];

  beforeAll(async () => {
    t = await openTestDb(backend);
    accounts = new AccountService(t.db, { rng: systemRng, kdf });
    await accounts.addDomain('example.test');
    for (const address of ['alice@example.test', 'bob@example.test']) await accounts.createUser({ address, password: 'password123' });
    alice = await accounts.authenticate('alice@example.test', 'password123');
    bob = await accounts.authenticate('bob@example.test', 'password123');
    queue = new OutboundQueue(t.db, { gatewaySecret: systemRng(32), rng: systemRng, notifier: { publish: async (e) => void events.push(e) } });
    // Every recipient goes to the real queue, as SubmissionService queues remote ones.
    const submission: Pick<SubmissionService, 'route' | 'checkSender' | 'submit'> = {
      route: async (address) => ({ kind: 'smtp', address }),
      checkSender: async () => {},
      submit: async (input) => {
        const queuedId = await t.db.transaction((tx) =>
          queue.enqueue(tx, {
            userId: input.account.userId, envelopeFrom: input.envelopeFrom, raw: input.raw,
            recipients: input.recipients.map((r) => ({ transport: 'smtp' as const, address: r.address })), ...(input.submissionId === undefined ? {} : { submissionId: input.submissionId }),
          }),
        );
        return { local: [], queuedId };
      },
    };
    submissions = new EmailSubmissionService(t.db, { rng: systemRng, submission, notifier: { publish: async (e) => void events.push(e) } });
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.db.exec('DELETE FROM outbound; DELETE FROM outbound_messages; DELETE FROM email_submission_outcomes');
    events.length = 0;
  });

  async function submit(account: UnlockedAccount, ...to: string[]) {
    const sent = await submissions.send(account, { raw, envelope: envelope(...to), from: account.address });
    if (!sent.ok) throw new Error(sent.reason);
    const record = () => submissions.record(account, { id: sent.submissionId, identityId: 'I1', emailId: 'E1', threadId: 'T1', undoStatus: 'final', envelope: envelope(...to), deliveryStatus: sent.deliveryStatus });
    return { id: sent.submissionId, record };
  }
  /** The claimed outbound row of each recipient. */
  async function claimed(): Promise<Record<string, number>> {
    return Object.fromEntries((await queue.claim(50)).map((r) => [r.recipient, r.id]));
  }
  const statusOf = async (account: UnlockedAccount, id: number) => (await submissions.list(account)).find((s) => s.id === id)?.deliveryStatus;
  const modseqOf = async (userId: number) => (await t.db.query<{ modseq: number }>('SELECT modseq FROM users WHERE id = $1', [userId]))[0]!.modseq;

  it('records a retry (still queued), a delivery and a permanent failure; each bumps the submission and is announced', async () => {
    const s = await submit(alice, 'x@remote.test', 'y@remote.test');
    await s.record();
    expect(await statusOf(alice, s.id)).toEqual({ 'x@remote.test': QUEUED, 'y@remote.test': QUEUED });
    const rows = await claimed();
    events.length = 0;

    const before = await modseqOf(alice.userId);
    await queue.retry([{ id: rows['x@remote.test']!, attempts: 1 }], '451 4.2.1 mailbox busy, try later');
    expect(events).toEqual([{ userId: alice.userId, modseq: before + 1, kind: 'submission' }]);
    expect(await submissions.changesSince(alice, before)).toEqual([{ id: s.id, modseq: before + 1, op: 'updated' }]);
    expect(await statusOf(alice, s.id)).toEqual({ 'x@remote.test': { smtpReply: '451 4.2.1 mailbox busy, try later', delivered: 'queued', displayed: 'unknown' }, 'y@remote.test': QUEUED });

    await queue.sent([rows['x@remote.test']!], '250 2.0.0 Ok: queued as 1234');
    await queue.failed([rows['y@remote.test']!], '550 5.1.1 no such user');
    expect(events.slice(1)).toEqual([{ userId: alice.userId, modseq: before + 2, kind: 'submission' }, { userId: alice.userId, modseq: before + 3, kind: 'submission' }]);
    expect(await submissions.changesSince(alice, before + 1)).toEqual([{ id: s.id, modseq: before + 3, op: 'updated' }]);
    expect(await statusOf(alice, s.id)).toEqual({
      'x@remote.test': { smtpReply: '250 2.0.0 Ok: queued as 1234', delivered: 'yes', displayed: 'unknown' },
      'y@remote.test': { smtpReply: '550 5.1.1 no such user', delivered: 'no', displayed: 'unknown' },
    });

    const stored = await t.db.query<{ user_id: number; submission_id: number; data: Uint8Array }>('SELECT user_id, submission_id, data FROM email_submission_outcomes ORDER BY outbound_id');
    expect(stored.map((r) => [r.user_id, r.submission_id])).toEqual([[alice.userId, s.id], [alice.userId, s.id]]);
    for (const r of stored) expect(Buffer.from(r.data).toString('latin1')).not.toMatch(/remote\.test|no such user|5\.1\.1|2\.0\.0|queued as/);

    // Finished rows are not finished again: nothing recorded, nothing announced.
    await queue.failed([rows['x@remote.test']!], '554 5.0.0 too late');
    expect(events).toHaveLength(3);
    expect((await statusOf(alice, s.id))!['x@remote.test']!.delivered).toBe('yes');
  });

  it('keeps outcomes that come before the submission is recorded (announcing nothing then)', async () => {
    const s = await submit(alice, 'x@remote.test');
    const rows = await claimed();
    await queue.sent([rows['x@remote.test']!], '250 2.0.0 Ok');
    expect(events).toEqual([]);
    const recorded = await s.record();
    expect(recorded.deliveryStatus).toEqual({ 'x@remote.test': QUEUED });
    expect(await statusOf(alice, s.id)).toEqual({ 'x@remote.test': { smtpReply: '250 2.0.0 Ok', delivered: 'yes', displayed: 'unknown' } });
  });

  it('shows another user nothing, and an outcome moved to another user, submission or row does not open', async () => {
    const a = await submit(alice, 'x@remote.test');
    await a.record();
    const b = await submit(bob, 'z@remote.test');
    await b.record();
    const rows = await claimed();
    await queue.failed([rows['x@remote.test']!], '550 5.1.1 no such user');
    expect(await statusOf(bob, b.id)).toEqual({ 'z@remote.test': QUEUED });
    expect(await statusOf(bob, a.id)).toBeUndefined();

    // Alice's outcome given to Bob's submission (his row, then his user too): it does not open.
    await t.db.query('UPDATE email_submission_outcomes SET outbound_id = $1, user_id = $2, submission_id = $3', [rows['z@remote.test']!, bob.userId, b.id]);
    await expect(submissions.list(bob)).rejects.toMatchObject({ code: 'integrity' });
    await t.db.query('UPDATE email_submission_outcomes SET user_id = $1, submission_id = $2', [alice.userId, a.id]);
    await expect(submissions.list(alice)).rejects.toMatchObject({ code: 'integrity', message: `delivery outcome ${rows['z@remote.test']} of submission ${a.id} does not open` });
  });

  it('records nothing for mail no submission sent, nor for a destroyed submission, whose outcomes go with it', async () => {
    await t.db.transaction((tx) => queue.enqueue(tx, { userId: alice.userId, envelopeFrom: 'alice@example.test', raw, recipients: [{ transport: 'smtp', address: 'w@remote.test' }] }));
    const s = await submit(alice, 'x@remote.test', 'y@remote.test');
    await s.record();
    const rows = await claimed();
    await queue.sent([rows['w@remote.test']!], '250 2.0.0 Ok');
    expect(await t.db.query('SELECT outbound_id FROM email_submission_outcomes')).toEqual([]);
    await queue.sent([rows['x@remote.test']!], '250 2.0.0 Ok');
    expect(await t.db.query('SELECT outbound_id FROM email_submission_outcomes')).toEqual([{ outbound_id: rows['x@remote.test'] }]);
    expect(await submissions.destroy(alice, s.id)).toBe(true);
    expect(await t.db.query('SELECT outbound_id FROM email_submission_outcomes')).toEqual([]);
    events.length = 0;
    await queue.failed([rows['y@remote.test']!], '550 5.1.1 no such user');
    expect(await t.db.query('SELECT outbound_id FROM email_submission_outcomes')).toEqual([]);
    expect(events).toEqual([]);
  });
});

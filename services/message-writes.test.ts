// STORE, COPY/MOVE and EXPUNGE as the few statements they now are: what each leaves behind
// (modseqs, HIGHESTMODSEQ, the journal, the quota, blobs) on both backends, and on PostgreSQL
// what concurrent writers of one account leave behind, including two expunges of the copies
// of one blob that wait for each other's account lock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { MailboxService } from './mailbox-service.js';
import { MessageService } from './message-service.js';
import { systemRng } from './random.js';
import type { UnlockedAccount } from './unlocked-account.js';

const kdf = { N: 1024, r: 8, p: 1 };
const enc = new TextEncoder();
const mail = (subject: string) => enc.encode(`From: a@remote.test\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`);

describe.each(BACKENDS)('write statements on %s', (backend) => {
  let t: TestDb;
  let accounts: AccountService;
  let mailboxes: MailboxService;
  let messages: MessageService;
  let n = 0;

  async function newUser(): Promise<{ userId: number; s: UnlockedAccount }> {
    const address = `w${n++}@example.test`;
    const u = await accounts.createUser({ address, password: 'password123' });
    return { userId: u.userId, s: await accounts.authenticate(address, 'password123') };
  }
  const modseqOf = async (userId: number) => (await t.db.query<{ modseq: number }>('SELECT modseq FROM users WHERE id = $1', [userId]))[0]!.modseq;
  const usedOf = async (userId: number) => (await t.db.query<{ used_bytes: number }>('SELECT used_bytes FROM users WHERE id = $1', [userId]))[0]!.used_bytes;

  /** What must hold for an account whatever ran: quota = sizes, UIDs unique and below UIDNEXT, HIGHESTMODSEQ ≥ rows, no orphan blob. */
  async function consistent(userId: number): Promise<void> {
    const [q] = await t.db.query<{ used: number; sum: number }>(
      'SELECT used_bytes AS used, (SELECT coalesce(sum(size), 0)::int8 FROM messages WHERE user_id = $1) AS sum FROM users WHERE id = $1',
      [userId],
    );
    expect(q!.used).toBe(q!.sum);
    expect(await t.db.query('SELECT mailbox_id, uid FROM messages WHERE user_id = $1 GROUP BY 1, 2 HAVING count(*) > 1', [userId])).toEqual([]);
    expect(await t.db.query(
      `SELECT b.id FROM mailboxes b WHERE b.user_id = $1
          AND (b.uidnext <= (SELECT coalesce(max(uid), 0) FROM messages m WHERE m.mailbox_id = b.id)
           OR b.highestmodseq < (SELECT coalesce(max(modseq), 0) FROM messages m WHERE m.mailbox_id = b.id))`,
      [userId],
    )).toEqual([]);
    expect(await t.db.query('SELECT id FROM blobs b WHERE user_id = $1 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id)', [userId])).toEqual([]);
  }

  beforeAll(async () => {
    t = await openTestDb(backend);
    accounts = new AccountService(t.db, { rng: systemRng, kdf });
    mailboxes = new MailboxService(t.db, { rng: systemRng });
    messages = new MessageService(t.db, { rng: systemRng });
    await accounts.addDomain('example.test');
  });
  afterAll(() => t.dispose());

  it('STORE gives changed rows one new modseq, reports UNCHANGEDSINCE failures and sets HIGHESTMODSEQ', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    for (let i = 0; i < 4; i++) await messages.append(s, inbox.id, mail(`s${i}`));
    await messages.store(s, inbox.id, [2], 'add', ['\\Seen']);
    const since = await modseqOf(userId);
    await messages.store(s, inbox.id, [3], 'add', ['$Late']);
    // 1 unchanged since, already \Seen: no change; 2 unchanged since: updated; 3 changed after: failed; 9 absent.
    await messages.store(s, inbox.id, [1], 'add', ['\\Seen']);
    const before = await modseqOf(userId);
    const r = await messages.store(s, inbox.id, [9, 4, 3, 2, 1], 'set', ['\\Seen'], { unchangedSince: since });
    expect(r.failed).toEqual([1, 3]);
    expect(r.updated.map((m) => [m.uid, m.flags, m.modseq])).toEqual([[4, ['\\Seen'], before + 1]]);
    expect(await modseqOf(userId)).toBe(before + 1);
    expect((await mailboxes.get(s, inbox.id)).highestmodseq).toBe(before + 1);
    // Nothing to change: no modseq taken, HIGHESTMODSEQ stays.
    expect(await messages.store(s, inbox.id, [1, 2, 4], 'add', ['\\Seen'])).toEqual({ updated: [], failed: [] });
    expect(await modseqOf(userId)).toBe(before + 1);
    expect((await messages.list(s, inbox.id, { changedSince: since })).map((m) => [m.uid, m.flags])).toEqual([[1, ['\\Seen']], [3, ['$Late']], [4, ['\\Seen']]]);
    const removed = await messages.store(s, inbox.id, [2, 3], 'remove', ['\\Seen', '$Late']);
    expect(removed.updated.map((m) => [m.uid, m.flags])).toEqual([[2, []], [3, []]]);
  });

  it('COPY over the quota or into a missing mailbox changes nothing and takes no modseq', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    for (let i = 0; i < 2; i++) await messages.append(s, inbox.id, mail(`q${i}`));
    const used = await usedOf(userId);
    const modseq = await modseqOf(userId);
    await expect(messages.copy(s, inbox.id, [1, 2], 987_654)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await expect(messages.copy(s, inbox.id, [1], 987_654, { move: true })).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await t.db.query('UPDATE users SET quota_bytes = used_bytes + 10 WHERE id = $1', [userId]);
    await expect(messages.copy(s, inbox.id, [1, 2], archive.id)).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(await modseqOf(userId)).toBe(modseq);
    expect(await usedOf(userId)).toBe(used);
    expect(await messages.list(s, archive.id)).toEqual([]);
    expect((await messages.list(s, inbox.id)).map((m) => m.uid)).toEqual([1, 2]);
    // A move needs no room: the quota does not change.
    expect(await messages.copy(s, inbox.id, [2], archive.id, { move: true })).toEqual([{ from: 2, to: 1 }]);
    expect(await usedOf(userId)).toBe(used);
    await consistent(userId);
  });

  it('APPEND over the quota or into a missing mailbox stores nothing and takes no modseq or UID', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    await messages.append(s, inbox.id, mail('first'));
    const modseq = await modseqOf(userId);
    const used = await usedOf(userId);
    await expect(messages.append(s, 987_654, mail('nowhere'))).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await t.db.query('UPDATE users SET quota_bytes = used_bytes + 10 WHERE id = $1', [userId]);
    await expect(messages.append(s, inbox.id, mail('too big'))).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(await modseqOf(userId)).toBe(modseq);
    expect(await usedOf(userId)).toBe(used);
    await t.db.query('UPDATE users SET quota_bytes = 1000000 WHERE id = $1', [userId]);
    expect((await messages.append(s, inbox.id, mail('second'))).uid).toBe(2);
    await consistent(userId);
  });

  it('MOVE journals the sources as destroyed in their mailbox, in UID order, and sets both HIGHESTMODSEQs', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    const sources: Array<{ id: number; blobId: number; modseq: number }> = [];
    for (let i = 0; i < 3; i++) sources.push(await messages.append(s, inbox.id, mail(`m${i}`)));
    await messages.store(s, inbox.id, [1], 'add', ['$Keep']);
    const before = await modseqOf(userId);
    expect(await messages.copy(s, inbox.id, [3, 1], archive.id, { move: true })).toEqual([{ from: 1, to: 1 }, { from: 3, to: 2 }]);
    const modseq = before + 1;
    expect(await modseqOf(userId)).toBe(modseq);
    expect((await mailboxes.get(s, inbox.id)).highestmodseq).toBe(modseq);
    expect((await mailboxes.get(s, archive.id)).highestmodseq).toBe(modseq);
    const journal = await t.db.query<{ object_id: number; mailbox_id: number; uid: number; blob_id: number; created_modseq: number; modseq: number }>(
      "SELECT object_id, mailbox_id, uid, blob_id, created_modseq, modseq FROM changes WHERE user_id = $1 AND op = 'destroyed' ORDER BY id",
      [userId],
    );
    expect(journal).toEqual([0, 2].map((i) => ({
      object_id: sources[i]!.id, mailbox_id: inbox.id, uid: i + 1, blob_id: sources[i]!.blobId, created_modseq: sources[i]!.modseq, modseq,
    })));
    const moved = await messages.list(s, archive.id);
    expect(moved.map((m) => [m.uid, m.flags, m.modseq])).toEqual([[1, ['$Keep'], modseq], [2, [], modseq]]);
    expect(await messages.vanishedSince(s, inbox.id, before)).toEqual([1, 3]);
    // Moving within one mailbox renumbers and still journals the old UID.
    expect(await messages.copy(s, archive.id, [2], archive.id, { move: true })).toEqual([{ from: 2, to: 3 }]);
    expect((await messages.list(s, archive.id)).map((m) => m.uid)).toEqual([1, 3]);
    expect(await messages.vanishedSince(s, archive.id, modseq)).toEqual([2]);
    await consistent(userId);
  });

  it('EXPUNGE and removeBlobs journal, give the quota back and drop blobs no message holds', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    const kept = await messages.append(s, inbox.id, mail('kept'));
    const copied = await messages.append(s, inbox.id, mail('copied'));
    const gone = await messages.append(s, inbox.id, mail('gone'));
    await messages.copy(s, inbox.id, [copied.uid], archive.id);
    await messages.store(s, inbox.id, [copied.uid, gone.uid], 'add', ['\\Deleted']);
    const before = await modseqOf(userId);
    expect(await messages.expunge(s, inbox.id)).toEqual([copied.uid, gone.uid]);
    expect(await modseqOf(userId)).toBe(before + 1);
    expect((await mailboxes.get(s, inbox.id)).highestmodseq).toBe(before + 1);
    expect(await messages.expungedSince(s, inbox.id, before)).toEqual([{ uid: copied.uid, modseq: before + 1 }, { uid: gone.uid, modseq: before + 1 }]);
    const blobs = async () => (await t.db.query<{ id: number }>('SELECT id FROM blobs WHERE user_id = $1 ORDER BY id', [userId])).map((b) => b.id);
    expect(await blobs()).toEqual([kept.blobId, copied.blobId]);
    await consistent(userId);
    // Nothing flagged: no modseq.
    expect(await messages.expunge(s, inbox.id)).toEqual([]);
    expect(await modseqOf(userId)).toBe(before + 1);
    expect(await messages.removeBlobs(s, [{ blobId: copied.blobId }, { blobId: 424_242 }, { blobId: kept.blobId, mailboxIds: [archive.id] }])).toEqual([copied.blobId]);
    expect(await modseqOf(userId)).toBe(before + 2);
    expect((await mailboxes.get(s, archive.id)).highestmodseq).toBe(before + 2);
    expect(await blobs()).toEqual([kept.blobId]);
    await consistent(userId);
  });

  it.runIf(backend === 'postgres')('two expunges of one blob\'s copies that wait for the account lock drop the blob', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    const m = await messages.append(s, inbox.id, mail('twice'));
    await messages.copy(s, inbox.id, [m.uid], archive.id);
    await messages.store(s, inbox.id, [m.uid], 'add', ['\\Deleted']);
    await messages.store(s, archive.id, [1], 'add', ['\\Deleted']);
    // Hold the account's row lock until both expunges wait for it (each has deleted its row by then).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holder = 0;
    const lock = t.db.transaction(async (tx) => {
      const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM users WHERE id = $1 FOR UPDATE', [userId]);
      holder = row!.pid;
      await held;
    });
    while (holder === 0) await new Promise((r) => setTimeout(r, 5));
    const both = Promise.all([messages.expunge(s, inbox.id), messages.expunge(s, archive.id)]);
    try {
      // The second waiter queues behind the first one's tuple lock, not behind the holder.
      for (let i = 0, waiting = 0; waiting < 2; i++) {
        if (i === 2000) throw new Error('the expunges did not both wait for the account lock');
        await new Promise((r) => setTimeout(r, 5));
        waiting = (await t.db.query<{ n: number }>(
          `SELECT count(*)::int8 AS n FROM pg_stat_activity a WHERE $1 = ANY (pg_blocking_pids(a.pid))
              OR EXISTS (SELECT 1 FROM pg_stat_activity b WHERE $1 = ANY (pg_blocking_pids(b.pid)) AND b.pid = ANY (pg_blocking_pids(a.pid)))`,
          [holder],
        ))[0]!.n;
      }
    } finally {
      release();
      await lock;
    }
    expect(await both).toEqual([[m.uid], [1]]);
    expect(await t.db.query('SELECT id FROM blobs WHERE id = $1', [m.blobId])).toEqual([]);
    await consistent(userId);
  });

  it.runIf(backend === 'postgres')('concurrent APPENDs of one thread, its first message among them, all join one thread', async () => {
    const { s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const threadMail = (i: number) =>
      enc.encode(`From: a@remote.test\r\nSubject: part ${i}\r\nMessage-ID: <part-${i}@remote.test>\r\n${i === 0 ? '' : `In-Reply-To: <part-0@remote.test>\r\nReferences: <part-0@remote.test>\r\n`}\r\nbody ${i}\r\n`);
    // Replies first in the list, so they are as likely as the root to reach the lock first.
    const appended = await Promise.all([1, 2, 3, 4, 5, 6, 7, 0].map((i) => messages.append(s, inbox.id, threadMail(i))));
    expect(new Set(appended.map((m) => m.threadId)).size).toBe(1);
    // A message that names only a reply's id joins the same thread.
    const late = await messages.append(s, inbox.id, enc.encode('Subject: late\r\nIn-Reply-To: <part-5@remote.test>\r\n\r\nx\r\n'));
    expect(late.threadId).toBe(appended[0]!.threadId);
  });

  it.runIf(backend === 'postgres')('concurrent STORE, APPEND, COPY, MOVE and EXPUNGE of one account leave it consistent', async () => {
    const { userId, s } = await newUser();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    for (let i = 0; i < 20; i++) await messages.append(s, inbox.id, mail(`c${i}`));
    const storeModseqs: number[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, k) => {
      for (let round = 0; round < 6; round++) {
        const uid = 1 + ((k * 5 + round * 3) % 18);
        const r = await messages.store(s, inbox.id, [uid, uid + 1, uid + 2], round % 2 ? 'add' : 'remove', ['\\Seen', `$k${k % 3}`]);
        if (r.updated.length > 0) storeModseqs.push(r.updated[0]!.modseq);
        const a = await messages.append(s, inbox.id, mail(`a${k}-${round}`));
        await messages.store(s, inbox.id, [a.uid], 'add', ['\\Deleted']);
        if (round % 3 === 0) await messages.copy(s, inbox.id, [a.uid, uid], archive.id);
        if (round % 3 === 1) await messages.copy(s, inbox.id, [a.uid], archive.id, { move: true });
        else expect(await messages.expunge(s, inbox.id, [a.uid])).toEqual([a.uid]);
        if (round % 2 === 0) await messages.expunge(s, archive.id);
      }
    }));
    // Every STORE that changed something had a modseq of its own.
    expect(new Set(storeModseqs).size).toBe(storeModseqs.length);
    await consistent(userId);
  });
});

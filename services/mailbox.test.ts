// The sealed mailbox on both backends: delivery while away, unlock and re-wrap, byte-exact
// fetch, IMAP/JMAP semantics (UIDs, modseq, journal, threads), search, isolation, integrity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { MailboxService } from './mailbox-service.js';
import { MessageService } from './message-service.js';
import { systemRng } from './random.js';
import { login } from './login.js';
import type { UnlockedAccount } from './unlocked-account.js';
import type { ChangeEvent } from './journal.js';

const kdf = { N: 1024, r: 8, p: 1 };
const enc = new TextEncoder();

function mail(opts: { subject: string; body?: string; messageId?: string; inReplyTo?: string; from?: string }): Uint8Array {
  return enc.encode(
    [
      `From: ${opts.from ?? 'Sender <sender@remote.test>'}`,
      'To: user@example.test',
      `Subject: ${opts.subject}`,
      ...(opts.messageId ? [`Message-ID: ${opts.messageId}`] : []),
      ...(opts.inReplyTo ? [`In-Reply-To: ${opts.inReplyTo}`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      opts.body ?? 'Hello.',
      '',
    ].join('\r\n'),
  );
}

describe.each(BACKENDS)('sealed mailbox on %s', (backend) => {
  let t: TestDb;
  let accounts: AccountService;
  let mailboxes: MailboxService;
  let messages: MessageService;
  const events: ChangeEvent[] = [];
  let n = 0;

  async function newUser(): Promise<{ userId: number; session: () => Promise<UnlockedAccount> }> {
    const address = `u${n++}@example.test`;
    const u = await accounts.createUser({ address, password: 'password123' });
    return { userId: u.userId, session: () => accounts.authenticate(address, 'password123') };
  }

  beforeAll(async () => {
    t = await openTestDb(backend);
    accounts = new AccountService(t.db, { rng: systemRng, kdf });
    const notifier = { publish: async (e: ChangeEvent) => void events.push(e) };
    mailboxes = new MailboxService(t.db, { rng: systemRng, notifier });
    messages = new MessageService(t.db, { rng: systemRng, notifier });
    await accounts.addDomain('example.test');
  });
  afterAll(() => t.dispose());

  it('delivers while the user is away (public key only), then fetches byte-exact after login', async () => {
    const u = await newUser();
    const raw = mail({ subject: 'Grüße', body: 'byte exact\r\n\r\nwith \u00e9 and \t tabs ' });
    const delivered = await messages.deliver({ userId: u.userId, raw });
    expect(delivered.uid).toBe(1);
    const [blob] = await t.db.query<{ seal: number }>('SELECT seal FROM blobs b JOIN messages m ON m.blob_id = b.id WHERE m.id = $1', [delivered.id]);
    expect(blob!.seal).toBe(1);
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    expect(inbox.name).toBe('INBOX');
    expect(inbox.messages).toBe(1);
    const [fetched] = await messages.fetch(s, inbox.id, [1]);
    expect(Buffer.from(fetched!.raw).equals(Buffer.from(raw))).toBe(true);
    expect(fetched!.size).toBe(raw.length);
  });

  it('login re-wraps what arrived while the user was away', async () => {
    const u = await newUser();
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'while away' }) });
    const [row] = await t.db.query<{ address: string }>('SELECT address FROM users WHERE id = $1', [u.userId]);
    const s = await login(accounts, messages, row!.address, 'password123');
    const seals = await t.db.query<{ seal: number }>('SELECT seal FROM blobs WHERE user_id = $1', [u.userId]);
    expect(seals.map((r) => r.seal)).toEqual([2]);
    s.lock();
    await expect(login(accounts, messages, row!.address, 'wrong-password')).rejects.toMatchObject({ code: 'auth_failed' });
  });

  it('re-wraps under the mailbox key at unlock: batched, idempotent, still byte-exact', async () => {
    const u = await newUser();
    const raws = Array.from({ length: 5 }, (_, i) => mail({ subject: `m${i}`, body: `body ${i}` }));
    for (const raw of raws) await messages.deliver({ userId: u.userId, raw });
    const s = await u.session();
    expect(await messages.rewrapPending(s, 2)).toBe(5);
    expect(await messages.rewrapPending(s, 2)).toBe(0);
    const seals = await t.db.query<{ seal: number }>('SELECT seal FROM blobs WHERE user_id = $1', [u.userId]);
    expect(seals.map((r) => r.seal)).toEqual([2, 2, 2, 2, 2]);
    const inbox = await mailboxes.byRole(s, 'inbox');
    const fetched = await messages.fetch(s, inbox.id, [1, 2, 3, 4, 5]);
    expect(fetched.map((f) => Buffer.from(f.raw).toString())).toEqual(raws.map((r) => Buffer.from(r).toString()));
  });

  it('answers SELECT with every UID in order and the keywords in use (system flags excluded), empty for an empty mailbox', async () => {
    const u = await newUser();
    const session = await u.session();
    try {
      const box = await mailboxes.byRole(session, 'archive');
      expect(await messages.selectInfo(session, box.id)).toEqual({ uids: [], keywords: [] });
      for (const flags of [['\\Seen', '$Label1'], ['\\Deleted', 'gone'], ['$Label1', 'work'], ['\\Flagged']]) {
        await messages.append(session, box.id, mail({ subject: `s${flags.length}` }), { flags });
      }
      await messages.expunge(session, box.id);
      expect(await messages.selectInfo(session, box.id)).toEqual({ uids: [1, 3, 4], keywords: ['$Label1', 'work'] });
    } finally {
      session.lock();
    }
  });

  it('gives 20 concurrent appends unique, strictly increasing UIDs', async () => {
    const u = await newUser();
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => messages.append(s, inbox.id, mail({ subject: `a${i}` }))));
    const byModseq = [...results].sort((a, b) => a.modseq - b.modseq);
    expect(byModseq.map((r) => r.uid)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(results.map((r) => r.modseq)).size).toBe(20);
    expect((await mailboxes.get(s, inbox.id)).uidnext).toBe(21);
  });

  it('stores flags with modseq, honours UNCHANGEDSINCE and journals every change', async () => {
    const u = await newUser();
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    for (let i = 0; i < 3; i++) await messages.append(s, inbox.id, mail({ subject: `f${i}` }));
    const start = (await messages.changesSince(s, 0)).modseq;
    const r1 = await messages.store(s, inbox.id, [1, 2], 'add', ['\\Seen', '$Important']);
    expect(r1.updated.map((m) => [m.uid, m.flags])).toEqual([[1, ['$Important', '\\Seen']], [2, ['$Important', '\\Seen']]]);
    expect(r1.updated[0]!.modseq).toBe(start + 1);
    // No change, no new modseq.
    expect((await messages.store(s, inbox.id, [1], 'add', ['\\Seen'])).updated).toEqual([]);
    expect((await messages.changesSince(s, 0)).modseq).toBe(start + 1);
    const r2 = await messages.store(s, inbox.id, [1, 2, 3], 'remove', ['$Important'], { unchangedSince: start });
    expect(r2.failed).toEqual([1, 2]);
    expect(r2.updated).toEqual([]);
    const r3 = await messages.store(s, inbox.id, [1, 3], 'set', ['\\Flagged']);
    expect(r3.updated.map((m) => m.flags)).toEqual([['\\Flagged'], ['\\Flagged']]);
    const changes = await messages.changesSince(s, start);
    // Per message, its latest change: 2 at start+1; 1 and 3 at start+2.
    expect(changes.changes.map((c) => [c.op, c.uid, c.modseq - start])).toEqual([['updated', 2, 1], ['updated', 1, 2], ['updated', 3, 2]]);
    expect((await mailboxes.get(s, inbox.id)).highestmodseq).toBe(changes.modseq);
    expect((await messages.list(s, inbox.id, { changedSince: start + 1 })).map((m) => m.uid)).toEqual([1, 3]);
    await expect(messages.store(s, inbox.id, [1], 'add', ['bad flag'])).rejects.toMatchObject({ code: 'invalid_mailbox_name' });
  });

  it('copies, moves and expunges with COPYUID pairs, VANISHED history and quota accounting', async () => {
    const u = await newUser();
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    for (let i = 0; i < 4; i++) await messages.append(s, inbox.id, mail({ subject: `c${i}` }));
    const used0 = (await messages.quota(s)).usedBytes;
    expect(await messages.copy(s, inbox.id, [1, 2], archive.id)).toEqual([{ from: 1, to: 1 }, { from: 2, to: 2 }]);
    expect((await messages.quota(s)).usedBytes).toBeGreaterThan(used0);
    const before = (await messages.changesSince(s, 0)).modseq;
    expect(await messages.copy(s, inbox.id, [3], archive.id, { move: true })).toEqual([{ from: 3, to: 3 }]);
    expect((await messages.list(s, inbox.id)).map((m) => m.uid)).toEqual([1, 2, 4]);
    await messages.store(s, inbox.id, [2, 4], 'add', ['\\Deleted']);
    expect(await messages.expunge(s, inbox.id, [4])).toEqual([4]);
    expect(await messages.expunge(s, inbox.id)).toEqual([2]);
    expect(await messages.vanishedSince(s, inbox.id, before)).toEqual([2, 3, 4]);
    const [copy] = await messages.fetch(s, archive.id, [1]);
    expect(Buffer.from(copy!.raw).toString()).toContain('Subject: c0');
    // Blobs still referenced by the copies survive; the expunged ones are gone.
    const blobs = await t.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM blobs WHERE user_id = $1', [u.userId]);
    expect(blobs[0]!.n).toBe(3);
  });

  it('reports changes since a modseq as JMAP needs them: created, updated, destroyed, mailboxes', async () => {
    const u = await newUser();
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const archive = await mailboxes.byRole(s, 'archive');
    const old = await messages.append(s, inbox.id, mail({ subject: 'old' }));
    const since = (await messages.changesSince(s, 0)).modseq;
    expect((await messages.changesSince(s, since)).changes).toEqual([]);
    const fresh = await messages.deliver({ userId: u.userId, raw: mail({ subject: 'new' }) });
    await messages.store(s, inbox.id, [old.uid], 'add', ['\\Seen']);
    await messages.copy(s, inbox.id, [fresh.uid], archive.id, { move: true });
    const folder = await mailboxes.create(s, 'Later');
    const { changes, modseq } = await messages.changesSince(s, since);
    const [copied] = await messages.list(s, archive.id);
    expect(changes.map((c) => [c.kind, c.op, c.objectId])).toEqual([
      ['email', 'updated', old.id],
      ['email', 'destroyed', fresh.id],
      ['email', 'created', copied!.id],
      ['mailbox', 'created', folder.id],
    ]);
    expect(modseq).toBe(changes.at(-1)!.modseq);
  });

  it('threads replies by Message-ID / In-Reply-To, for appended and for re-wrapped mail', async () => {
    const u = await newUser();
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'Question', messageId: '<q1@remote.test>' }) });
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'Re: Question', messageId: '<a1@remote.test>', inReplyTo: '<q1@remote.test>' }) });
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'Other', messageId: '<o1@remote.test>' }) });
    const s = await u.session();
    await messages.rewrapPending(s);
    const inbox = await mailboxes.byRole(s, 'inbox');
    const list = await messages.list(s, inbox.id);
    expect(list[0]!.threadId).toBe(list[1]!.threadId);
    expect(list[2]!.threadId).not.toBe(list[0]!.threadId);
    const sent = await mailboxes.byRole(s, 'sent');
    const reply = await messages.append(s, sent.id, mail({ subject: 'Re: Re: Question', messageId: '<a2@example.test>', inReplyTo: '<a1@remote.test>' }));
    expect(reply.threadId).toBe(list[0]!.threadId);
    expect((await messages.thread(s, reply.threadId)).map((m) => m.mailboxId).sort()).toEqual([inbox.id, inbox.id, sent.id].sort());
  });

  it('searches headers, body and text over decrypted contents', async () => {
    const u = await newUser();
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'Invoice March', body: 'Please find the amount due.' }) });
    await messages.deliver({ userId: u.userId, raw: mail({ subject: 'Lunch', body: 'Invoice attached? no, lunch.', from: 'Carol <carol@remote.test>' }) });
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    expect(await messages.search(s, inbox.id, { field: 'header', name: 'Subject' }, 'invoice')).toEqual([1]);
    expect(await messages.search(s, inbox.id, { field: 'body' }, 'INVOICE')).toEqual([2]);
    expect(await messages.search(s, inbox.id, { field: 'text' }, 'invoice')).toEqual([1, 2]);
    expect(await messages.search(s, inbox.id, { field: 'header', name: 'from' }, 'carol@')).toEqual([2]);
    expect(await messages.search(s, inbox.id, { field: 'text' }, 'nowhere')).toEqual([]);
  });

  it('manages folders: create, rename, subscribe, delete; roles are protected; UIDVALIDITY is never reused', async () => {
    const u = await newUser();
    const s = await u.session();
    const p = await mailboxes.create(s, 'Projects/Acme');
    expect(p).toMatchObject({ name: 'Projects/Acme', role: null, uidnext: 1, messages: 0 });
    await expect(mailboxes.create(s, 'Projects/Acme')).rejects.toMatchObject({ code: 'mailbox_exists' });
    await expect(mailboxes.create(s, 'inbox')).rejects.toMatchObject({ code: 'mailbox_exists' });
    await expect(mailboxes.create(s, 'bad//name')).rejects.toMatchObject({ code: 'invalid_mailbox_name' });
    const renamed = await mailboxes.rename(s, p.id, 'Clients/Acme');
    expect(renamed.uidvalidity).toBe(p.uidvalidity);
    expect((await mailboxes.byName(s, 'Clients/Acme')).id).toBe(p.id);
    await mailboxes.setSubscribed(s, p.id, false);
    expect((await mailboxes.get(s, p.id)).subscribed).toBe(false);
    await messages.append(s, p.id, mail({ subject: 'in folder' }));
    await mailboxes.delete(s, p.id);
    await expect(mailboxes.get(s, p.id)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    const again = await mailboxes.create(s, 'Clients/Acme');
    expect(again.uidvalidity).toBeGreaterThan(p.uidvalidity);
    const inbox = await mailboxes.byRole(s, 'inbox');
    await expect(mailboxes.delete(s, inbox.id)).rejects.toMatchObject({ code: 'mailbox_protected' });
    await expect(mailboxes.rename(s, inbox.id, 'Old')).rejects.toMatchObject({ code: 'mailbox_protected' });
    expect((await mailboxes.list(s)).map((m) => m.name)).toEqual(['INBOX', 'Archive', 'Clients/Acme', 'Drafts', 'Junk', 'Screener', 'Sent', 'Trash']);
  });

  it('one user can never read or change another user\'s rows, even with forged ids', async () => {
    const a = await newUser();
    const b = await newUser();
    await messages.deliver({ userId: a.userId, raw: mail({ subject: 'private to a' }) });
    const sa = await a.session();
    const sb = await b.session();
    const inboxA = await mailboxes.byRole(sa, 'inbox');
    expect(await messages.fetch(sb, inboxA.id, [1])).toEqual([]);
    expect(await messages.list(sb, inboxA.id)).toEqual([]);
    expect((await messages.store(sb, inboxA.id, [1], 'add', ['\\Deleted'])).updated).toEqual([]);
    expect(await messages.expunge(sb, inboxA.id)).toEqual([]);
    expect(await messages.copy(sb, inboxA.id, [1], (await mailboxes.byRole(sb, 'inbox')).id)).toEqual([]);
    await expect(mailboxes.get(sb, inboxA.id)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await expect(mailboxes.delete(sb, inboxA.id)).rejects.toMatchObject({ code: 'mailbox_not_found' });
    await expect(messages.append(sb, inboxA.id, mail({ subject: 'x' }))).rejects.toMatchObject({ code: 'mailbox_not_found' });
    expect(await messages.search(sb, inboxA.id, { field: 'text' }, 'private')).toEqual([]);
    // b's keys cannot open a's blob even when handed it directly.
    const [row] = await t.db.query<{ id: number }>('SELECT id FROM blobs WHERE user_id = $1', [a.userId]);
    await t.db.query('UPDATE blobs SET user_id = $2 WHERE id = $1', [row!.id, b.userId]);
    await t.db.query('UPDATE messages SET user_id = $2, mailbox_id = $3 WHERE blob_id = $1', [row!.id, b.userId, (await mailboxes.byRole(sb, 'inbox')).id]);
    await expect(messages.fetch(sb, (await mailboxes.byRole(sb, 'inbox')).id, [1])).rejects.toMatchObject({ code: 'integrity' });
  });

  it('reports a tampered blob as an integrity error, never as garbage', async () => {
    const u = await newUser();
    const s = await u.session();
    const inbox = await mailboxes.byRole(s, 'inbox');
    const m = await messages.append(s, inbox.id, mail({ subject: 'tamper me' }));
    // Flip a bit (setting a byte could leave it unchanged, 1 time in 256).
    await t.db.query('UPDATE blobs SET data = set_byte(data, 20, get_byte(data, 20) # 1) WHERE id = (SELECT blob_id FROM messages WHERE id = $1)', [m.id]);
    await expect(messages.fetch(s, inbox.id, [m.uid])).rejects.toMatchObject({ code: 'integrity' });
    const d = await messages.deliver({ userId: u.userId, raw: mail({ subject: 'sealed' }) });
    await t.db.query('UPDATE blobs SET data = set_byte(data, 80, get_byte(data, 80) # 1) WHERE id = (SELECT blob_id FROM messages WHERE id = $1)', [d.id]);
    await expect(messages.fetch(s, inbox.id, [d.uid])).rejects.toMatchObject({ code: 'integrity' });
  });

  it('enforces the quota and the size limit', async () => {
    const u = await newUser();
    await t.db.query('UPDATE users SET quota_bytes = 1000 WHERE id = $1', [u.userId]);
    await messages.deliver({ userId: u.userId, raw: new Uint8Array(900).fill(65) });
    await expect(messages.deliver({ userId: u.userId, raw: new Uint8Array(200).fill(65) })).rejects.toMatchObject({ code: 'quota_exceeded' });
    const s = await u.session();
    expect(await messages.quota(s)).toEqual({ usedBytes: 900, limitBytes: 1000 });
    await expect(messages.deliver({ userId: u.userId, raw: new Uint8Array(0) })).rejects.toMatchObject({ code: 'too_large' });
    await expect(messages.deliver({ userId: 999999, raw: new Uint8Array(1) })).rejects.toMatchObject({ code: 'user_not_found' });
    // A delivery to a missing mailbox charges nothing and takes no modseq.
    const [before] = await t.db.query<{ used_bytes: number; modseq: number }>('SELECT used_bytes, modseq FROM users WHERE id = $1', [u.userId]);
    await t.db.query("DELETE FROM mailboxes WHERE user_id = $1 AND role = 'junk'", [u.userId]);
    await expect(messages.deliver({ userId: u.userId, role: 'junk', raw: new Uint8Array(50).fill(65) })).rejects.toMatchObject({ code: 'mailbox_not_found' });
    const [after] = await t.db.query<{ used_bytes: number; modseq: number }>('SELECT used_bytes, modseq FROM users WHERE id = $1', [u.userId]);
    expect(after).toEqual(before);
  });

  it('commits concurrent deliveries together with per-user modseqs, gapless UIDs per mailbox and exact quota', async () => {
    const users = await Promise.all([newUser(), newUser(), newUser()]);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        messages.deliver({ userId: users[i % 3]!.userId, role: i % 2 === 0 ? 'inbox' : 'screener', raw: mail({ subject: `batch ${i}` }), flags: i % 5 === 0 ? ['\\Flagged'] : [] }),
      ),
    );
    for (const [index, u] of users.entries()) {
      const mine = results.filter((_, i) => i % 3 === index);
      expect(new Set(mine.map((r) => r.modseq)).size).toBe(20);
      for (const mailboxId of new Set(mine.map((r) => r.mailboxId))) {
        expect(mine.filter((r) => r.mailboxId === mailboxId).map((r) => r.uid).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      }
      const [row] = await t.db.query<{ used: number; total: number }>('SELECT u.used_bytes AS used, (SELECT sum(size) FROM messages WHERE user_id = u.id)::int8 AS total FROM users u WHERE id = $1', [u.userId]);
      expect(row!.used).toBe(row!.total);
    }
    expect(results.filter((_, i) => i % 5 === 0).every((r) => r.flags.includes('\\Flagged'))).toBe(true);
    const s = await users[0]!.session();
    const [first] = await messages.fetch(s, results[0]!.mailboxId, [results[0]!.uid]);
    expect(Buffer.from(first!.raw).toString()).toContain('Subject: batch 0');
  });

  it('a delivery that fits the quota alone is stored even when its batch did not fit', async () => {
    const u = await newUser();
    await t.db.query('UPDATE users SET quota_bytes = 1000 WHERE id = $1', [u.userId]);
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => messages.deliver({ userId: u.userId, raw: new Uint8Array(400).fill(66) })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.map((o) => (o.reason as { code: string }).code)).toEqual(['quota_exceeded']);
    const [row] = await t.db.query<{ used_bytes: number }>('SELECT used_bytes FROM users WHERE id = $1', [u.userId]);
    expect(row!.used_bytes).toBe(800);
  });

  it('notifies after commit with the account modseq', async () => {
    const u = await newUser();
    events.length = 0;
    const d = await messages.deliver({ userId: u.userId, raw: mail({ subject: 'ping' }) });
    expect(events).toEqual([{ userId: u.userId, modseq: d.modseq, mailboxId: d.mailboxId, kind: 'email' }]);
  });
});
